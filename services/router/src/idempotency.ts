// Idempotency for synchronous decides: the same (tenant, request_id) with the same content inside the
// TTL gets the first decision again; different content is an IDEMPOTENCY_VIOLATION. Memory is bounded
// by `maxEntries` (oldest evicted first) and expired entries are dropped as new ones arrive.
import { createHash } from "node:crypto";
import type { Decision, RouteRequest } from "../../common/contract";

export type IdempotencyResult =
  { kind: "miss" } | { kind: "hit"; decision: Decision } | { kind: "violation"; firstSeenMs: number };

interface Entry {
  fingerprint: string;
  decision: Decision;
  at: number;
}

/**
 * Content fingerprint of a request. The trace id is excluded: a client retrying the same request
 * under a new trace is still the same request.
 */
export function fingerprint(req: RouteRequest): string {
  const { trace_id: _trace, ...rest } = req;
  return createHash("sha1").update(JSON.stringify(rest)).digest("base64");
}

export class IdempotencyCache {
  // Map iteration order is insertion order, and entries are never refreshed, so the first entries
  // are always the oldest: eviction and expiry only ever look at the front.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  static key(tenantId: string, requestId: string): string {
    return `${tenantId}\u0000${requestId}`;
  }

  check(key: string, fp: string): IdempotencyResult {
    const e = this.entries.get(key);
    if (!e) return { kind: "miss" };
    if (this.now() - e.at >= this.ttlMs) {
      this.entries.delete(key);
      return { kind: "miss" };
    }
    return e.fingerprint === fp
      ? { kind: "hit", decision: e.decision }
      : { kind: "violation", firstSeenMs: e.at };
  }

  remember(key: string, fp: string, decision: Decision): void {
    if (this.entries.has(key)) return;
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.maxEntries && now - e.at < this.ttlMs) break;
      this.entries.delete(k);
    }
    this.entries.set(key, { fingerprint: fp, decision, at: now });
  }
}
