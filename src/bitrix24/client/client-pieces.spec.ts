import { LeakyBucket, LeakyBucketRegistry } from './leaky-bucket';
import { buildPhpQuery } from './php-query';

describe('LeakyBucket (limits.md)', () => {
  it('admits a burst, then paces at the drain rate', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new LeakyBucket(2, 50, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    for (let i = 0; i < 49; i++) await bucket.take();
    expect(waits).toEqual([]);
    await bucket.take();
    await bucket.take();
    expect(waits.length).toBe(2);
    expect(waits.every((ms) => ms >= 400 && ms <= 600)).toBe(true);
  });

  it('waits longer after the portal said it overflowed', async () => {
    let now = 0;
    const waits: number[] = [];
    const bucket = new LeakyBucket(2, 50, () => now, async (ms) => {
      waits.push(ms);
      now += ms;
    });
    bucket.markFull();
    await bucket.take();
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
  });
});

describe('buildPhpQuery (batch sub-commands)', () => {
  it('encodes nested filters and arrays the way PHP reads them', () => {
    const query = buildPhpQuery({ FILTER: { '>ID': 5, ID: [1, 2] }, ADMIN_MODE: true, start: 0, skip: undefined });
    expect(decodeURIComponent(query)).toBe('FILTER[>ID]=5&FILTER[ID][0]=1&FILTER[ID][1]=2&ADMIN_MODE=true&start=0');
  });
});

describe('LeakyBucketRegistry bounds', () => {
  it('keeps one bucket per portal, drops idle ones and never holds more than its cap', () => {
    let now = 0;
    const registry = new LeakyBucketRegistry(3, 60_000, () => now);
    const a = registry.for('a', 2, 50);
    expect(registry.for('a', 2, 50)).toBe(a);
    registry.for('b', 2, 50);
    registry.for('c', 2, 50);
    registry.for('d', 2, 50);
    expect(registry.size).toBe(3);
    expect(registry.for('a', 2, 50)).not.toBe(a); // the least recently used went first
    now += 61_000;
    registry.for('e', 2, 50);
    expect(registry.size).toBe(1);
  });
});
