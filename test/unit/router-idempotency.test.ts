import assert from "node:assert/strict";
import type { Decision, RouteRequest } from "../../services/common/contract";
import { fingerprint, IdempotencyCache } from "../../services/router/src/idempotency";

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

describe("router idempotency cache", () => {
  it("returns the first decision for the same content and flags different content", () => {
    const c = new IdempotencyCache(1000, 10);
    const k = IdempotencyCache.key("t", "r");
    assert.deepEqual(c.check(k, fingerprint(req())), { kind: "miss" });
    c.remember(k, fingerprint(req()), d("p1"));
    c.remember(k, fingerprint(req()), d("p2"));
    assert.deepEqual(c.check(k, fingerprint(req({ trace_id: "other-trace" }))), {
      kind: "hit",
      decision: d("p1"),
    });
    assert.equal(c.check(k, fingerprint(req({ policy_id: "x" }))).kind, "violation");
  });

  it("forgets entries after the TTL", () => {
    let now = 0;
    const c = new IdempotencyCache(1000, 10, () => now);
    const k = IdempotencyCache.key("t", "r");
    c.remember(k, "fp", d("p1"));
    now = 999;
    assert.equal(c.check(k, "other").kind, "violation");
    now = 1000;
    assert.equal(c.check(k, "other").kind, "miss");
  });

  it("stays within maxEntries, evicting the oldest, and drops expired entries on insert", () => {
    let now = 0;
    const c = new IdempotencyCache(1000, 100, () => now);
    for (let i = 0; i < 1000; i++) c.remember(`k${i}`, "fp", d("p1"));
    assert.equal(c.size, 100);
    assert.equal(c.check("k0", "fp").kind, "miss");
    assert.equal(c.check("k999", "fp").kind, "hit");
    now = 5000;
    c.remember("fresh", "fp", d("p1"));
    assert.equal(c.size, 1);
  });

  it("tenants do not share request ids", () => {
    assert.notEqual(IdempotencyCache.key("a", "r"), IdempotencyCache.key("b", "r"));
  });
});
