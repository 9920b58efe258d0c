// Idempotency for synchronous decides, across every router: the same (tenant, request_id) with the
// same content inside the TTL gets the first decision again, whichever router made it; different
// content is an IDEMPOTENCY_VIOLATION. The first decision is recorded with an atomic create in a
// store every router shares (the JetStream KV bucket BEAMLINE_IDEMPOTENCY, idempotency-kv.ts), so two
// routers racing on one request_id agree: the create that loses reads the winner's record and answers
// from it. Records are never changed once written, so the in-process cache in front of the store (own
// writes and records read back) can answer repeats without I/O for as long as the record lives.
import { createHash } from "node:crypto";
import type { Decision, RouteRequest } from "../../common/contract";

/** Whether a record was written by this router process or by another one. */
export type Origin = "self" | "other";

/** What the shared store holds per (tenant, request_id). */
export interface IdempotencyRecord {
  /** Content fingerprint of the first request (fingerprint()). */
  fp: string;
  /** The first decision. */
  decision: Decision;
  /** Id of the router process that wrote the record. */
  router: string;
  /** When that router wrote it, ms since the epoch. */
  at: number;
}

export type IdempotencyReplay =
  | { kind: "hit"; decision: Decision; origin: Origin; firstSeenMs: number }
  | { kind: "violation"; origin: Origin; firstSeenMs: number };

export type IdempotencyResult = { kind: "miss" } | IdempotencyReplay;

/** claim(): this router's decision was recorded first, or the stored record answers. */
export type ClaimResult = { kind: "stored" } | IdempotencyReplay;

/**
 * Content fingerprint of a request. The trace id is excluded: a client retrying the same request
 * under a new trace is still the same request.
 */
export function fingerprint(req: RouteRequest): string {
  const { trace_id: _trace, ...rest } = req;
  return createHash("sha1").update(JSON.stringify(rest)).digest("base64");
}

/**
 * The store key of (tenant, request_id): SHA-256 hex of the JSON pair. Always one valid NATS subject
 * token (a KV key) of 64 characters whatever the ids contain (dots, wildcards, any Unicode), and the
 * JSON pair keeps ("a.b","c") and ("a","b.c") apart.
 */
export function idempotencyKey(tenantId: string, requestId: string): string {
  return createHash("sha256")
    .update(JSON.stringify([tenantId, requestId]))
    .digest("hex");
}

export function encodeRecord(r: IdempotencyRecord): Uint8Array {
  return Buffer.from(JSON.stringify(r), "utf8");
}

/** The record in `data`, or undefined when it is not one (never trusted blindly: it came over the wire). */
export function decodeRecord(data: Uint8Array): IdempotencyRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch {
    return undefined;
  }
  const r = v as Partial<IdempotencyRecord> | null;
  const d = r?.decision as Partial<Decision> | undefined;
  if (
    typeof r !== "object" ||
    r === null ||
    typeof r.fp !== "string" ||
    typeof r.router !== "string" ||
    typeof r.at !== "number" ||
    typeof d !== "object" ||
    d === null ||
    typeof d.provider_id !== "string" ||
    typeof d.reason !== "string"
  ) {
    return undefined;
  }
  return r as IdempotencyRecord;
}

interface Entry {
  record: IdempotencyRecord;
  /** Start of the entry's lifetime (never later than the store's own clock for the record). */
  at: number;
}

/**
 * The in-process cache of records known to be in the store. Memory is bounded by `maxEntries` (oldest
 * evicted first) and expired entries are dropped as new ones arrive.
 */
export class IdempotencyCache {
  // Map iteration order is insertion order, and entries are never refreshed, so the first entries
  // are (nearly) always the oldest: eviction and expiry only ever look at the front.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get ttl(): number {
    return this.ttlMs;
  }

  /**
   * Shortens the lifetime of entries (never lengthens it): the store's bucket may keep records for less
   * than the router's TTL (a bucket created under an older setting), and the cache must not answer
   * for a record the store has already forgotten.
   */
  limitTtl(ms: number): void {
    if (ms > 0 && ms < this.ttlMs) this.ttlMs = ms;
  }

  /** The cached record for `key`, if it is still alive. */
  get(key: string): IdempotencyRecord | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.record;
  }

  remember(key: string, record: IdempotencyRecord, at: number): void {
    const now = this.now();
    const old = this.entries.get(key);
    if (old && now - old.at < this.ttlMs) return;
    if (old) this.entries.delete(key);
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.maxEntries && now - e.at < this.ttlMs) break;
      this.entries.delete(k);
    }
    this.entries.set(key, { record, at });
  }
}

/** The shared store (a KV bucket in production, a Map in unit tests). */
export interface RecordStore {
  /** Atomic create: true when written, false when the key already exists. Rejects when unavailable. */
  create(key: string, value: Uint8Array): Promise<boolean>;
  /** The stored value with the store's write time (ms since the epoch), or null when there is none. */
  get(key: string): Promise<{ value: Uint8Array; createdMs: number } | null>;
}

/** The store could not give a trustworthy answer; the decide must not be answered as if it were new. */
export class IdempotencyUnavailable extends Error {
  name = "IdempotencyUnavailable";
}

/** Attempts of create-then-read when the key exists but its record cannot be read back yet. */
const CLAIM_ATTEMPTS = 3;

export class Idempotency {
  constructor(
    /** This router process's id, written into every record it creates. */
    readonly routerId: string,
    readonly cache: IdempotencyCache,
    private readonly store: RecordStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer the cache alone can give (no I/O): a replay, or `miss` (then ask the store). */
  cached(key: string, fp: string): IdempotencyResult {
    const r = this.cache.get(key);
    return r ? this.replay(r, fp) : MISS;
  }

  /**
   * Records `decision` as the first decision for `key` unless one is stored already, in which case the
   * stored record answers (the same decision, or a violation for different content). Rejects with
   * IdempotencyUnavailable (or the store's error) when the store cannot say.
   */
  async claim(key: string, fp: string, decision: Decision): Promise<ClaimResult> {
    // `at` is taken before the write, so it is never later than the store's timestamp: the cached
    // entry expires no later than the stored record.
    const record: IdempotencyRecord = { fp, decision, router: this.routerId, at: this.now() };
    const value = encodeRecord(record);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      if (await this.store.create(key, value)) {
        this.cache.remember(key, record, record.at);
        return STORED;
      }
      const found = await this.read(key, fp);
      if (found) return found;
      // The key exists but reads as empty: it expired between the two calls (the create will succeed
      // now), or the replica that answered the read is behind. Try again.
    }
    throw new IdempotencyUnavailable(`idempotency record ${key} exists but could not be read`);
  }

  /** Looks the key up in the store (no decision could be made, but a violation must still be reported). */
  async find(key: string, fp: string): Promise<IdempotencyResult> {
    return (await this.read(key, fp)) ?? MISS;
  }

  private async read(key: string, fp: string): Promise<IdempotencyReplay | undefined> {
    const e = await this.store.get(key);
    if (!e) return undefined;
    const record = decodeRecord(e.value);
    if (!record) throw new IdempotencyUnavailable(`idempotency record ${key} is not readable`);
    this.cache.remember(key, record, Math.min(record.at, e.createdMs));
    return this.replay(record, fp);
  }

  private replay(r: IdempotencyRecord, fp: string): IdempotencyReplay {
    const origin: Origin = r.router === this.routerId ? "self" : "other";
    return r.fp === fp
      ? { kind: "hit", decision: r.decision, origin, firstSeenMs: r.at }
      : { kind: "violation", origin, firstSeenMs: r.at };
  }
}

const MISS: IdempotencyResult = Object.freeze({ kind: "miss" }) as IdempotencyResult;
const STORED: ClaimResult = Object.freeze({ kind: "stored" }) as ClaimResult;
