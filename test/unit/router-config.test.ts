import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../services/common/env";
import { loadRouterConfig } from "../../services/router/src/app";
import { computeBackpressure, LatencyWindow } from "../../services/router/src/backpressure";
import { FaultRegistry, parseFaultSpec } from "../../services/router/src/faults";

function problems(env: Record<string, string>): string[] {
  try {
    loadRouterConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("router config", () => {
  it("has documented defaults", () => {
    const c = loadRouterConfig({});
    assert.equal(c.metricsHost, "0.0.0.0");
    assert.equal(c.metricsPort, 9091);
    assert.equal(c.faultsEnabled, false);
    assert.deepEqual(c.allowedTenants, []);
    assert.equal(c.jetstreamReplicas, 1);
    assert.equal(c.policiesSource, "built-in");
    assert.ok(c.policies.policies.has("default"));
  });

  it("names each bad variable, all at once", () => {
    const p = problems({
      ROUTER_METRICS_PORT: "abc",
      ROUTER_FAULTS_ENABLED: "maybe",
      ROUTER_JETSTREAM_REPLICAS: "7",
      ROUTER_MAX_INFLIGHT: "0",
      LOG_LEVEL: "loud",
      NATS_URL: "http://x",
      ROUTER_BACKPRESSURE_PENDING_WARN: "50",
      ROUTER_BACKPRESSURE_PENDING_ACTIVE: "10",
    });
    for (const name of [
      "ROUTER_METRICS_PORT",
      "ROUTER_FAULTS_ENABLED",
      "ROUTER_JETSTREAM_REPLICAS",
      "ROUTER_MAX_INFLIGHT",
      "LOG_LEVEL",
      "NATS_URL",
      "ROUTER_BACKPRESSURE_PENDING_WARN",
    ]) {
      assert.ok(
        p.some((x) => x.startsWith(name)),
        `${name} missing in ${p.join(" | ")}`,
      );
    }
  });

  it("idempotency store settings: defaults, and bad values named", () => {
    const c = loadRouterConfig({});
    assert.equal(c.idempotencyTtlMs, 300_000);
    assert.equal(c.idempotencyStoreTimeoutMs, 2000);
    assert.equal(c.instanceId, os.hostname().slice(0, 128));
    assert.equal(loadRouterConfig({ ROUTER_INSTANCE_ID: "router-7" }).instanceId, "router-7");
    const p = problems({ ROUTER_INSTANCE_ID: "has space", ROUTER_IDEMPOTENCY_STORE_TIMEOUT_MS: "5" });
    assert.ok(
      p.some((x) => x.startsWith("ROUTER_INSTANCE_ID must be")),
      p.join(" | "),
    );
    assert.ok(
      p.some((x) => x.startsWith("ROUTER_IDEMPOTENCY_STORE_TIMEOUT_MS must be")),
      p.join(" | "),
    );
  });

  it("reports a bad policies file with the file name and JSON path", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "router-cfg-"));
    const file = path.join(dir, "p.json");
    fs.writeFileSync(
      file,
      JSON.stringify({ policies: { default: { providers: [{ id: "p1", weight: "x" }] } } }),
    );
    const p = problems({ ROUTER_POLICIES_FILE: file });
    assert.ok(
      p.some((x) => x.includes(`ROUTER_POLICIES_FILE ${file}: $.policies["default"].providers[0].weight`)),
      p.join("\n"),
    );
    fs.writeFileSync(file, "{not json");
    assert.match(problems({ ROUTER_POLICIES_FILE: file })[0], /not valid JSON/);
    assert.match(
      problems({ ROUTER_POLICIES_FILE: path.join(dir, "missing.json") })[0],
      /cannot be read \(ENOENT\)/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("router backpressure and fault specs", () => {
  const t = {
    pendingWarn: 10,
    pendingActive: 100,
    inflightWarn: 5,
    inflightActive: 50,
    latencyWarnMs: 100,
    latencyActiveMs: 1000,
    retryAfterS: 3,
  };
  it("computes ok / warning / active with retry_after only when active", () => {
    assert.deepEqual(computeBackpressure({ pending: 0, inflight: 0, latencyP95Ms: 1 }, t), {
      status: "ok",
      pending: 0,
      inflight: 0,
      latency_p95_ms: 1,
      retry_after_s: 0,
    });
    assert.equal(computeBackpressure({ pending: 10, inflight: 0, latencyP95Ms: 0 }, t).status, "warning");
    const a = computeBackpressure({ pending: 0, inflight: 50, latencyP95Ms: 0 }, t);
    assert.equal(a.status, "active");
    assert.equal(a.retry_after_s, 3);
    assert.equal(
      computeBackpressure({ pending: 0, inflight: 0, latencyP95Ms: 0, forced: "active" }, t).status,
      "active",
    );
  });

  it("latency window p95 over the interval", () => {
    const w = new LatencyWindow(1000);
    for (let i = 1; i <= 100; i++) w.add(i);
    assert.equal(w.p95AndReset(), 95);
    assert.equal(w.p95AndReset(), 0);
  });

  it("validates fault specs and scopes them by tenant", () => {
    assert.match(parseFaultSpec({ delay_ms: -1 }).error!, /delay_ms/);
    assert.match(parseFaultSpec({ error_rate: 2 }).error!, /error_rate/);
    assert.match(parseFaultSpec({ bogus: 1 }).error!, /unknown fault field "bogus"/);
    const f = new FaultRegistry(() => 0.5);
    f.apply({ error_code: "internal" });
    f.apply({ tenant_id: "t1", fail_providers: ["p1"] });
    assert.equal(f.forTenant("t1")!.fail_providers![0], "p1");
    assert.equal(f.forTenant("t2")!.error_code, "internal");
    assert.equal(f.providerFails("t1", "p1"), true);
    assert.equal(f.providerFails("t2", "p1"), false);
    f.apply({ tenant_id: "t1", clear: true });
    assert.equal(f.forTenant("t1")!.error_code, "internal");
    f.apply({ clear: true });
    assert.ok(f.empty);
  });
});
