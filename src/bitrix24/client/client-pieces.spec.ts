import { LeakyBucket } from './leaky-bucket';
import { buildPhpQuery } from './php-query';
import { assertSafeUrl, isPrivateAddress } from './url-policy';

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

describe('URL policy', () => {
  const strict = { allowInsecure: false, production: true };
  it.each(['http://portal.example.com/rest/', 'https://127.0.0.1/rest/', 'https://localhost:8443/', 'https://u:p@portal.example.com/', 'not a url'])('refuses %s', (url) => {
    expect(() => assertSafeUrl(url, strict)).toThrow();
  });
  it('accepts https portals, and loopback http in insecure (test) mode', () => {
    expect(assertSafeUrl('https://acme.bitrix24.ru/rest/', strict).host).toBe('acme.bitrix24.ru');
    expect(assertSafeUrl('http://127.0.0.1:4100/rest/', { allowInsecure: true, production: false }).port).toBe('4100');
  });
  it.each([
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['8.8.8.8', false],
    ['2a00:1450::1', false],
  ])('isPrivateAddress(%s) = %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});
