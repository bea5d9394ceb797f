/**
 * Bitrix24's request-intensity limit is a leaky bucket (limits.md): each request adds
 * one unit, the bucket drains at `perSecond`, and past `burst` units the portal answers
 * 503 QUERY_LIMIT_EXCEEDED. We keep a model of the portal's bucket and wait before a
 * request would overflow it, so a healthy run never sees a 503.
 */
export class LeakyBucket {
  private level = 0;
  private updatedAt: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private perSecond: number,
    private burst: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.updatedAt = now();
  }

  configure(perSecond: number, burst: number): void {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Resolves when one more request fits; requests are admitted in order. */
  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      this.drain();
      // A small margin below the portal's burst absorbs clock skew between us and it.
      const capacity = Math.max(1, this.burst - 1);
      if (this.level + 1 > capacity) {
        await this.sleep(Math.ceil(((this.level + 1 - capacity) / this.perSecond) * 1000));
        this.drain();
      }
      this.level += 1;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The portal said we overflowed: assume the bucket is full. */
  markFull(): void {
    this.drain();
    this.level = this.burst;
  }

  private drain(): void {
    const now = this.now();
    this.level = Math.max(0, this.level - ((now - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = now;
  }
}

/**
 * One bucket per stored portal per process, shared by every client talking to that
 * portal. Bounded: a bucket unused for `idleMs` has drained anyway and is dropped, and
 * past `maxBuckets` the least recently used one goes (Map order is use order).
 */
export class LeakyBucketRegistry {
  private readonly buckets = new Map<string, { bucket: LeakyBucket; usedAt: number }>();

  constructor(
    private readonly maxBuckets = 10_000,
    private readonly idleMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  for(portalKey: string, perSecond: number, burst: number): LeakyBucket {
    const now = this.now();
    const entry = this.buckets.get(portalKey);
    this.buckets.delete(portalKey);
    for (const [key, old] of this.buckets) {
      if (now - old.usedAt < this.idleMs && this.buckets.size < this.maxBuckets) break;
      this.buckets.delete(key);
    }
    const bucket = entry?.bucket ?? new LeakyBucket(perSecond, burst);
    if (entry) bucket.configure(perSecond, burst);
    this.buckets.set(portalKey, { bucket, usedAt: now });
    return bucket;
  }
}
