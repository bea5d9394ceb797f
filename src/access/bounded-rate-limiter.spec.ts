import { BoundedRateLimiter, clientKey } from './bounded-rate-limiter';

describe('BoundedRateLimiter', () => {
  it('allows `limit` hits per window, then says how long to wait, then allows again', () => {
    let now = 0;
    const limiter = new BoundedRateLimiter(3, 60_000, 100, () => now);
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('a')]).toEqual([0, 0, 0]);
    expect(limiter.hit('a')).toBe(60);
    expect(limiter.hit('b')).toBe(0);
    now = 45_500;
    expect(limiter.blocked('a')).toBe(15);
    now = 60_000;
    expect(limiter.hit('a')).toBe(0);
  });

  it('never tracks more than maxKeys keys, and forgets expired windows', () => {
    let now = 0;
    const limiter = new BoundedRateLimiter(1, 1_000, 50, () => now);
    for (let i = 0; i < 10_000; i++) limiter.hit(`ip-${i}`);
    expect(limiter.size).toBe(50);
    expect(limiter.blocked('ip-9999')).toBe(1);
    now = 5_000;
    limiter.hit('fresh');
    expect(limiter.size).toBe(1);
  });
});

describe('clientKey', () => {
  it.each([
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['2001:db8:1:2:aaaa::1', '20010db800010002::/64'],
    ['2001:db8:1:2:bbbb::9', '20010db800010002::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});
