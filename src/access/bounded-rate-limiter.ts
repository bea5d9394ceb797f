import { parseIPv6 } from '../bitrix24/client/ip-address';

/**
 * A fixed-window counter per key (a client address, a portal) that can never grow past
 * `maxKeys`: keys are caller input, so the least recently started window is dropped
 * first (Map order is insertion order, and a new window re-inserts its key).
 */
export class BoundedRateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  /** Counts one request for `key`; returns 0 when allowed, else the seconds until it would be. */
  hit(key: string): number {
    const wait = this.blocked(key);
    if (wait) return wait;
    const window = this.current(key);
    if (window) window.count++;
    else this.start(key);
    return 0;
  }

  /** Seconds until `key` may try again (0: now), without counting anything. */
  blocked(key: string): number {
    const window = this.current(key);
    return window && window.count >= this.limit ? Math.max(1, Math.ceil((window.startedAt + this.windowMs - this.now()) / 1000)) : 0;
  }

  private current(key: string): { startedAt: number; count: number } | undefined {
    const window = this.windows.get(key);
    return window && this.now() - window.startedAt < this.windowMs ? window : undefined;
  }

  private start(key: string): void {
    const now = this.now();
    this.windows.delete(key);
    for (const [oldest, window] of this.windows) {
      if (now - window.startedAt < this.windowMs && this.windows.size < this.maxKeys) break;
      this.windows.delete(oldest);
    }
    this.windows.set(key, { startedAt: now, count: 1 });
  }
}

/**
 * The key a client address is counted under: IPv4 as is, IPv6 by its /64 (one
 * subscriber holds a whole /64, so counting single addresses would be no limit at all).
 */
export function clientKey(ip: string | undefined): string {
  const address = (ip ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  const bytes = address.includes(':') ? parseIPv6(address) : null;
  return bytes ? `${Buffer.from(bytes.subarray(0, 8)).toString('hex')}::/64` : address;
}
