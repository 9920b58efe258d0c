// Per-provider circuit breakers. A provider that fails `failureThreshold` times in a row is skipped
// ("open") for `openMs`; after that one trial decision is let through ("half-open"): success closes
// the breaker, failure opens it again for another `openMs`.

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  now?: () => number;
  /** Called whenever a provider's state changes (drives router_circuit_breaker_open). */
  onChange?: (provider: string, state: BreakerState) => void;
}

interface Entry {
  state: BreakerState;
  failures: number;
  openedAt: number;
}

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  private entry(provider: string): Entry {
    let e = this.entries.get(provider);
    if (!e) {
      e = { state: "closed", failures: 0, openedAt: 0 };
      this.entries.set(provider, e);
    }
    return e;
  }

  private set(provider: string, e: Entry, state: BreakerState): void {
    if (e.state === state) return;
    e.state = state;
    this.opts.onChange?.(provider, state);
  }

  /** Current state; an open breaker whose cool-down has passed reports half_open. */
  state(provider: string): BreakerState {
    const e = this.entry(provider);
    if (e.state === "open" && this.now() - e.openedAt >= this.opts.openMs) this.set(provider, e, "half_open");
    return e.state;
  }

  /** Whether a decision may pick this provider now. */
  allows(provider: string): boolean {
    return this.state(provider) !== "open";
  }

  success(provider: string): void {
    const e = this.entry(provider);
    e.failures = 0;
    this.set(provider, e, "closed");
  }

  failure(provider: string): void {
    const e = this.entry(provider);
    e.failures++;
    if (e.state === "half_open" || e.failures >= this.opts.failureThreshold) {
      e.openedAt = this.now();
      this.set(provider, e, "open");
    }
  }

  snapshot(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const p of this.entries.keys()) out[p] = this.state(p);
    return out;
  }
}
