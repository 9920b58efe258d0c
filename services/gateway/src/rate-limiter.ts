// Per-tenant token buckets: each tenant has its own window (the original shared one across tenants).
// Idle full buckets are swept so the map stays bounded by the number of recently active tenants.

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetS: number;
  /** Seconds until one token is available (only meaningful when not allowed). */
  retryAfterS: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();

  constructor(
    readonly rps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.rps > 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(tenant: string): RateDecision {
    const t = this.now();
    let b = this.buckets.get(tenant);
    if (!b) {
      b = { tokens: this.burst, at: t };
      this.buckets.set(tenant, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.rps);
      b.at = t;
    }
    const allowed = b.tokens >= 1;
    if (allowed) b.tokens -= 1;
    return {
      allowed,
      limit: this.burst,
      remaining: Math.floor(b.tokens),
      resetS: Math.ceil((this.burst - b.tokens) / this.rps),
      retryAfterS: allowed ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / this.rps)),
    };
  }

  /** Drops buckets that would be full by now (they behave exactly like a fresh bucket). */
  sweep(): void {
    const t = this.now();
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.rps >= this.burst) this.buckets.delete(k);
    }
  }
}
