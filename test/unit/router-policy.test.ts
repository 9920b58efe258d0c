import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CircuitBreakers } from "../../services/router/src/breaker";
import { parsePolicies, seededRandom, Selector, weightedPick } from "../../services/router/src/policy";

const doc = {
  default_policy: "default",
  tenants: { "tenant-x": "single" },
  policies: {
    default: {
      providers: [
        { id: "p1", weight: 70, expected_latency_ms: 10, expected_cost: 0.001 },
        { id: "p2", weight: 30, expected_latency_ms: 20, expected_cost: 0.002 },
        { id: "p3", weight: 0, expected_latency_ms: 90, expected_cost: 0.0001 },
      ],
    },
    single: { providers: [{ id: "solo", weight: 1, expected_latency_ms: 5, expected_cost: 0 }] },
  },
};

function setup(threshold = 3, openMs = 1000) {
  let now = 0;
  const breakers = new CircuitBreakers({ failureThreshold: threshold, openMs, now: () => now });
  const { set } = parsePolicies(doc);
  const sel = new Selector(set!, breakers, seededRandom(42));
  return { sel, breakers, advance: (ms: number) => (now += ms) };
}

describe("router policies", () => {
  it("parses the shipped default policy file", () => {
    const file = path.join(__dirname, "../../services/router/policies/default.json");
    const r = parsePolicies(JSON.parse(fs.readFileSync(file, "utf8")));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.set!.policies.get("default")!.providers.map((p) => p.id),
      ["p1", "p2", "p3"],
    );
  });

  it("reports bad fields by JSON path", () => {
    const r = parsePolicies({
      default_policy: "nope",
      tenants: { t: "missing" },
      policies: {
        a: {
          providers: [
            { id: "bad id!", weight: 1 },
            { id: "ok", weight: -1, expected_latency_ms: 1, expected_cost: 1 },
          ],
        },
      },
    });
    assert.ok(
      r.problems.some((p) => p.startsWith('$.policies["a"].providers[0].id must be')),
      r.problems.join("\n"),
    );
    assert.ok(
      r.problems.some((p) => p.startsWith('$.policies["a"].providers[1].weight must be a number >= 0')),
    );
    assert.ok(r.problems.some((p) => p.startsWith("$.default_policy must name a policy")));
    assert.ok(r.problems.some((p) => p.startsWith('$.tenants["t"] must name a policy')));
    assert.deepEqual(parsePolicies([]).problems, ["$ must be an object"]);
  });

  it("selects by weight (statistically) and never picks a zero-weight provider first", () => {
    const counts: Record<string, number> = {};
    const rnd = seededRandom(7);
    const providers = parsePolicies(doc).set!.policies.get("default")!.providers;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const p = weightedPick(providers, rnd)!.id;
      counts[p] = (counts[p] ?? 0) + 1;
    }
    assert.ok(Math.abs(counts.p1 / n - 0.7) < 0.02, `p1 share ${counts.p1 / n}`);
    assert.ok(Math.abs(counts.p2 / n - 0.3) < 0.02, `p2 share ${counts.p2 / n}`);
    assert.equal(counts.p3, undefined);
  });

  it("answers weighted with the provider's numbers; policy by tenant and by policy_id", () => {
    const { sel } = setup();
    const r = sel.select("tenant-a", undefined, () => false);
    assert.ok(r.ok);
    assert.equal(r.decision.reason, "weighted");
    assert.ok(["p1", "p2"].includes(r.decision.provider_id));
    const solo = sel.select("tenant-x", undefined, () => false);
    assert.ok(solo.ok && solo.decision.provider_id === "solo");
    const byId = sel.select("tenant-a", "single", () => false);
    assert.ok(byId.ok && byId.decision.provider_id === "solo");
    const missing = sel.select("tenant-a", "nope", () => false);
    assert.ok(!missing.ok && missing.code === "policy_not_found");
  });

  it("falls back in order when the chosen provider fails, and fails when none is left", () => {
    const { sel } = setup(100);
    const r = sel.select("tenant-a", undefined, (p) => p === "p1" || p === "p2");
    assert.ok(r.ok);
    assert.equal(r.decision.provider_id, "p3");
    assert.match(r.decision.reason, /^fallback: p[12] failed, p[12] failed$/);
    const none = sel.select("tenant-a", undefined, () => true);
    assert.ok(!none.ok);
    assert.equal(none.code, "decision_failed");
    assert.match(none.message, /p1 failed/);
  });

  it("circuit breaker: closed → open after the threshold → half-open after the cool-down → closed", () => {
    const { sel, breakers, advance } = setup(3, 1000);
    for (let i = 0; i < 3; i++) sel.select("tenant-x", undefined, () => true);
    assert.equal(breakers.state("solo"), "open");
    const open = sel.select("tenant-x", undefined, () => false);
    assert.ok(!open.ok);
    assert.match(open.message, /solo circuit open/);
    advance(1000);
    assert.equal(breakers.state("solo"), "half_open");
    // A failed trial re-opens at once.
    sel.select("tenant-x", undefined, () => true);
    assert.equal(breakers.state("solo"), "open");
    advance(1000);
    const ok = sel.select("tenant-x", undefined, () => false);
    assert.ok(ok.ok);
    assert.equal(breakers.state("solo"), "closed");
  });

  it("skips an open provider with a reason", () => {
    const { sel, breakers } = setup(1);
    breakers.failure("p1");
    breakers.failure("p2");
    const r = sel.select("tenant-a", undefined, () => false);
    assert.ok(r.ok);
    assert.equal(r.decision.provider_id, "p3");
    assert.match(r.decision.reason, /^fallback: p[12] circuit open, p[12] circuit open$/);
  });
});
