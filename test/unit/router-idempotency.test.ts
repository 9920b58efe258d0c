import assert from "node:assert/strict";
import { validateKey } from "nats/lib/jetstream/kv";
import type { Decision, RouteRequest } from "../../services/common/contract";
import { CircuitBreakers } from "../../services/router/src/breaker";
import { DecideEngine, type Evaluation } from "../../services/router/src/decide";
import { FaultRegistry } from "../../services/router/src/faults";
import {
  decodeRecord,
  encodeRecord,
  fingerprint,
  Idempotency,
  IdempotencyCache,
  idempotencyKey,
  IdempotencyUnavailable,
  type IdempotencyRecord,
  type RecordStore,
} from "../../services/router/src/idempotency";
import { parsePolicies, Selector } from "../../services/router/src/policy";
import defaultPolicies from "../../services/router/policies/default.json";

const d = (p: string): Decision => ({
  provider_id: p,
  priority: 1,
  expected_latency_ms: 1,
  expected_cost: 0,
  reason: "weighted",
});
const req = (extra: Partial<RouteRequest> = {}): RouteRequest => ({
  version: "1",
  tenant_id: "t",
  request_id: "r",
  ...extra,
});
const rec = (fp: string, p = "p1", router = "r1", at = 0): IdempotencyRecord => ({
  fp,
  decision: d(p),
  router,
  at,
});

/** The shared store as a Map with an optional switch to fail every call, counting calls. */
class MemoryStore implements RecordStore {
  readonly data = new Map<string, { value: Uint8Array; createdMs: number }>();
  failing = false;
  creates = 0;
  gets = 0;
  constructor(private readonly now: () => number = Date.now) {}
  async create(key: string, value: Uint8Array): Promise<boolean> {
    this.creates++;
    await Promise.resolve();
    if (this.failing) throw new Error("timeout");
    if (this.data.has(key)) return false;
    this.data.set(key, { value, createdMs: this.now() });
    return true;
  }
  async get(key: string) {
    this.gets++;
    await Promise.resolve();
    if (this.failing) throw new Error("timeout");
    return this.data.get(key) ?? null;
  }
}

describe("router idempotency: keys and fingerprints", () => {
  it("encodes (tenant, request_id) as one valid KV key, whatever the ids contain", () => {
    const odd = [
      ["t", "r"],
      ["tenant.a", "req.1"],
      ["tenant-*", "req->"],
      ["ü-tenant", "请求/1=2"],
      ["$SYS", ".."],
      ["t".repeat(256), "r".repeat(256)],
    ];
    for (const [t, r] of odd) {
      const k = idempotencyKey(t, r);
      assert.match(k, /^[0-9a-f]{64}$/, `${t} / ${r}`);
      assert.doesNotThrow(() => validateKey(k), `${t} / ${r} gives a key nats.js accepts`);
      assert.equal(idempotencyKey(t, r), k, "deterministic (every router computes the same key)");
    }
    assert.equal(new Set(odd.map(([t, r]) => idempotencyKey(t, r))).size, odd.length);
  });

  it("tenants do not share request ids, and the pair boundary is unambiguous", () => {
    assert.notEqual(idempotencyKey("a", "r"), idempotencyKey("b", "r"));
    assert.notEqual(idempotencyKey("a.b", "c"), idempotencyKey("a", "b.c"));
    assert.notEqual(idempotencyKey("a", "bc"), idempotencyKey("ab", "c"));
  });

  it("fingerprints ignore the trace id only", () => {
    assert.equal(fingerprint(req()), fingerprint(req({ trace_id: "other-trace" })));
    assert.notEqual(fingerprint(req()), fingerprint(req({ policy_id: "x" })));
  });

  it("records round-trip and malformed ones are refused", () => {
    const r = rec("fp", "p2", "router-a-1234", 42);
    assert.deepEqual(decodeRecord(encodeRecord(r)), r);
    for (const bad of ["", "null", "[]", "{}", '{"fp":"x","router":"r","at":1}', "not json"]) {
      assert.equal(decodeRecord(Buffer.from(bad)), undefined, bad);
    }
  });
});

describe("router idempotency cache", () => {
  it("forgets entries after the TTL, and limitTtl only shortens it", () => {
    let now = 0;
    const c = new IdempotencyCache(1000, 10, () => now);
    c.remember("k", rec("fp"), 0);
    now = 999;
    assert.ok(c.get("k"));
    now = 1000;
    assert.equal(c.get("k"), undefined);
    c.limitTtl(5000);
    assert.equal(c.ttl, 1000);
    c.limitTtl(0);
    assert.equal(c.ttl, 1000, "0 (a bucket without max age) does not disable expiry");
    c.limitTtl(500);
    assert.equal(c.ttl, 500);
  });

  it("an entry's lifetime starts when the record was written, not when it was learned", () => {
    let now = 10_000;
    const c = new IdempotencyCache(1000, 10, () => now);
    c.remember("old", rec("fp"), 9_500);
    now = 10_499;
    assert.ok(c.get("old"));
    now = 10_500;
    assert.equal(c.get("old"), undefined);
  });

  it("stays within maxEntries, evicting the oldest, and drops expired entries on insert", () => {
    let now = 0;
    const c = new IdempotencyCache(1000, 100, () => now);
    for (let i = 0; i < 1000; i++) c.remember(`k${i}`, rec("fp"), now);
    assert.equal(c.size, 100);
    assert.equal(c.get("k0"), undefined);
    assert.ok(c.get("k999"));
    now = 5000;
    c.remember("fresh", rec("fp"), now);
    assert.equal(c.size, 1);
  });

  it("keeps the first record for a key while it lives", () => {
    const c = new IdempotencyCache(1000, 10, () => 0);
    c.remember("k", rec("a", "p1"), 0);
    c.remember("k", rec("b", "p2"), 0);
    assert.equal(c.get("k")?.decision.provider_id, "p1");
  });
});

describe("router idempotency across routers (shared store)", () => {
  const make = (id: string, store: RecordStore, now: () => number = Date.now) =>
    new Idempotency(id, new IdempotencyCache(60_000, 1000, now), store, now);

  it("the first decision is stored; repeats on any router answer from it, with the right origin", async () => {
    const store = new MemoryStore();
    const a = make("router-a", store);
    const b = make("router-b", store);
    const k = idempotencyKey("t", "r");
    assert.deepEqual(a.cached(k, "fp1"), { kind: "miss" });
    assert.deepEqual(await a.claim(k, "fp1", d("p1")), { kind: "stored" });
    // Same router: answered by its cache, without a store call.
    const gets = store.gets;
    const self = a.cached(k, "fp1");
    assert.equal(self.kind, "hit");
    assert.equal(self.kind === "hit" && self.origin, "self");
    assert.equal(store.gets, gets);
    // The other router has not seen it: its claim (with its own, different decision) loses.
    assert.deepEqual(b.cached(k, "fp1"), { kind: "miss" });
    const other = await b.claim(k, "fp1", d("p2"));
    assert.equal(other.kind, "hit");
    assert.equal(other.kind === "hit" && other.decision.provider_id, "p1", "the first decision wins");
    assert.equal(other.kind === "hit" && other.origin, "other");
    // Now b knows it too (cache), and different content is a violation on both.
    assert.equal(b.cached(k, "fp1").kind, "hit");
    const v = b.cached(k, "fp2");
    assert.equal(v.kind, "violation");
    assert.equal(v.kind === "violation" && v.origin, "other");
    assert.equal(a.cached(k, "fp2").kind, "violation");
    assert.equal((await make("router-c", store).claim(k, "fp2", d("p2"))).kind, "violation");
  });

  it("two routers racing on one request_id agree on one decision", async () => {
    for (let i = 0; i < 50; i++) {
      const store = new MemoryStore();
      const k = idempotencyKey("t", `race-${i}`);
      const [x, y] = await Promise.all([
        make("router-a", store).claim(k, "fp", d("p1")),
        make("router-b", store).claim(k, "fp", d("p2")),
      ]);
      const decisions = [x, y].map((r) =>
        r.kind === "stored" ? undefined : r.kind === "hit" ? r.decision.provider_id : "violation",
      );
      // Exactly one stored; the other answers with the stored one's decision.
      assert.equal([x, y].filter((r) => r.kind === "stored").length, 1);
      const stored = decodeRecord(store.data.get(k)!.value)!;
      assert.ok(decisions.includes(undefined));
      assert.ok(decisions.includes(stored.decision.provider_id));
    }
  });

  it("racing with different content: one wins, the other is a violation", async () => {
    const store = new MemoryStore();
    const k = idempotencyKey("t", "r");
    const rs = await Promise.all([
      make("router-a", store).claim(k, "fp1", d("p1")),
      make("router-b", store).claim(k, "fp2", d("p1")),
    ]);
    assert.deepEqual(rs.map((r) => r.kind).sort(), ["stored", "violation"]);
  });

  it("store unavailable: claim and find reject; the cache still answers what it knows", async () => {
    const store = new MemoryStore();
    const a = make("router-a", store);
    const k = idempotencyKey("t", "known");
    await a.claim(k, "fp", d("p1"));
    store.failing = true;
    await assert.rejects(a.claim(idempotencyKey("t", "new"), "fp", d("p1")), /timeout/);
    await assert.rejects(a.find(idempotencyKey("t", "new"), "fp"), /timeout/);
    assert.equal(a.cached(k, "fp").kind, "hit");
    assert.equal(a.cached(k, "other").kind, "violation");
  });

  it("an unreadable record is never taken for a new request", async () => {
    const store = new MemoryStore();
    const k = idempotencyKey("t", "r");
    store.data.set(k, { value: Buffer.from("garbage"), createdMs: Date.now() });
    await assert.rejects(make("router-a", store).claim(k, "fp", d("p1")), IdempotencyUnavailable);
  });

  it("a record that expires between the create and the read: the retried create stores ours", async () => {
    const store = new MemoryStore();
    const k = idempotencyKey("t", "r");
    store.data.set(k, { value: encodeRecord(rec("fp")), createdMs: 0 });
    const realGet = store.get.bind(store);
    store.get = async (key) => {
      store.data.delete(key); // the max age ran out just now
      return realGet(key);
    };
    assert.deepEqual(await make("router-a", store).claim(k, "fp", d("p2")), { kind: "stored" });
    assert.equal(store.creates, 2);
  });

  it("a create that keeps losing to a record nobody can read gives up as unavailable", async () => {
    const store: RecordStore = { create: async () => false, get: async () => null };
    await assert.rejects(make("router-a", store).claim("k", "fp", d("p1")), IdempotencyUnavailable);
  });

  it("find reports a violation from the store, and miss when there is no record", async () => {
    const store = new MemoryStore();
    const k = idempotencyKey("t", "r");
    await make("router-a", store).claim(k, "fp1", d("p1"));
    const b = make("router-b", store);
    assert.equal((await b.find(k, "fp2")).kind, "violation");
    assert.equal((await b.find(idempotencyKey("t", "none"), "fp2")).kind, "miss");
  });
});

describe("router decide engine with the shared idempotency store", () => {
  const policies = parsePolicies(defaultPolicies).set!;
  const engine = (id: string, store: RecordStore, random = () => 0.5) =>
    new DecideEngine(
      new Selector(policies, new CircuitBreakers({ failureThreshold: 5, openMs: 1000 }), random),
      new Idempotency(id, new IdempotencyCache(60_000, 1000), store),
      new FaultRegistry(random),
      { maxPayloadBytes: 1 << 20 },
    );
  const body = (extra: Record<string, unknown> = {}) =>
    Buffer.from(JSON.stringify({ version: "1", tenant_id: "t", request_id: "r-1", message: {}, ...extra }));

  it("waits for the store on a new request_id and answers repeats synchronously from the cache", async () => {
    const store = new MemoryStore();
    const e = engine("router-a", store);
    const first = e.decide(body(), {});
    assert.ok(first instanceof Promise, "a new request_id waits for the store");
    const ev = await first;
    assert.equal(ev.reply.ok, true);
    assert.equal(store.data.size, 1);
    const again = e.decide(body({ trace_id: "retry" }), {}) as Evaluation;
    assert.ok(!(again instanceof Promise), "a repeat this router knows needs no store round trip");
    assert.equal(again.outcome, "cached");
    assert.deepEqual(again.replay, { result: "same", origin: "self" });
    assert.deepEqual(again.reply.context, { request_id: "r-1", tenant_id: "t", trace_id: "retry" });
  });

  it("another router answers the first decision, or IDEMPOTENCY_VIOLATION, from the record", async () => {
    const store = new MemoryStore();
    // Different random sources: left alone, the two routers would pick different providers.
    const a = engine("router-a", store, () => 0.01);
    const b = engine("router-b", store, () => 0.99);
    const first = await a.decide(body(), {});
    assert.equal(first.reply.ok && first.reply.decision.provider_id, "p1");
    const same = await b.decide(body(), {});
    assert.equal(same.reply.ok && same.reply.decision.provider_id, "p1");
    assert.deepEqual(same.replay, { result: "same", origin: "other" });
    const diff = await engine("router-c", store).decide(body({ policy_id: "default" }), {});
    assert.equal(!diff.reply.ok && diff.reply.error.intake_error_code, "IDEMPOTENCY_VIOLATION");
    assert.deepEqual(diff.replay, { result: "violation", origin: "other" });
    // A request that cannot be decided (unknown policy) still reports the violation.
    const unknown = await engine("router-d", store).decide(body({ policy_id: "missing" }), {});
    assert.equal(!unknown.reply.ok && unknown.reply.error.intake_error_code, "IDEMPOTENCY_VIOLATION");
  });

  it("store unavailable: a new request_id gets extension_unavailable, never an unrecorded decision", async () => {
    const store = new MemoryStore();
    store.failing = true;
    const ev = await engine("router-a", store).decide(body(), {});
    assert.equal(ev.reply.ok, false);
    assert.equal(!ev.reply.ok && ev.reply.error.code, "extension_unavailable");
    assert.match(!ev.reply.ok ? ev.reply.error.message : "", /idempotency store unavailable/);
    assert.ok(ev.storeError);
    assert.equal(ev.outcome, "error");
    // Intake errors do not need the store.
    const bad = engine("router-a", store).decide(body({ version: "9" }), {}) as Evaluation;
    assert.equal(bad.intakeCode, "VERSION_UNSUPPORTED");
  });

  it("the durable path does not use request_id idempotency", () => {
    const store = new MemoryStore();
    const e = engine("router-a", store);
    assert.equal(e.evaluate(body(), {}).reply.ok, true);
    assert.equal(e.evaluate(body({ policy_id: "default" }), {}).reply.ok, true);
    assert.equal(store.creates + store.gets, 0);
  });
});
