// SLO definitions and the burn-rate maths: validation messages, factors derived from the period,
// and bucket bounds that match the services' own histogram definitions.
import assert from "node:assert/strict";
import { SLOS, Slo, validateSlos } from "../../monitoring";
import { BURN_POLICIES, burnFactor, requiredWindows } from "../../monitoring/burn-rate";
import {
  GATEWAY_DURATION_BUCKETS,
  INTAKE_DECISION_BUCKETS,
  ROUTER_DECISION_BUCKETS,
} from "../../monitoring/metrics";
import { renderRules } from "../../monitoring/rules";
import { DURATION_BUCKETS } from "../../services/gateway/src/metrics";
import { RouterMetrics } from "../../services/router/src/metrics";

const base = SLOS[0];
const latency = SLOS.find((s) => s.sli.kind === "latency")!;

describe("SLO definitions", () => {
  it("defines the four SLOs of issue 4 and they validate", () => {
    assert.deepEqual(
      SLOS.map((s) => [s.name, s.objective, s.periodDays]),
      [
        ["gateway-availability", 0.999, 30],
        ["gateway-latency", 0.99, 30],
        ["durable-intake", 0.999, 30],
        ["router-availability", 0.999, 30],
      ],
    );
    validateSlos(SLOS);
  });

  it("uses latency thresholds that are bucket bounds: 0.05 s for decide, 60 s for durable intake", () => {
    const th = Object.fromEntries(
      SLOS.filter((s) => s.sli.kind === "latency").map((s) => [
        s.name,
        (s.sli as { thresholdSeconds: number }).thresholdSeconds,
      ]),
    );
    assert.deepEqual(th, { "gateway-latency": 0.05, "durable-intake": 60 });
  });

  it("knows the gateway's real histogram buckets (services/gateway/src/metrics.ts) and the contract's bounds", () => {
    assert.deepEqual([...GATEWAY_DURATION_BUCKETS], DURATION_BUCKETS);
    for (const b of [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
      assert.ok(GATEWAY_DURATION_BUCKETS.includes(b as never));
  });

  it("knows the router's real decision-latency buckets (read from the router's exposition)", async () => {
    const m = new RouterMetrics(["p1"]);
    m.decision("success", "p1", 0.001);
    const text = await m.registry.getSingleMetricAsString("router_decision_duration_seconds");
    const les = [...text.matchAll(/le="([^"]+)"/g)]
      .map((x) => x[1])
      .filter((v) => v !== "+Inf")
      .map(Number);
    assert.deepEqual(les, [...ROUTER_DECISION_BUCKETS]);
  });

  it("knows the router's real durable-intake latency buckets, and a terminated message counts above all of them", async () => {
    const m = new RouterMetrics(["p1"]);
    m.intakeSettled(0.2);
    m.intakeSettled(undefined);
    const text = await m.registry.getSingleMetricAsString("router_intake_decision_latency_seconds");
    const les = [...text.matchAll(/le="([^"]+)"/g)]
      .map((x) => x[1])
      .filter((v) => v !== "+Inf")
      .map(Number);
    assert.deepEqual(les, [...INTAKE_DECISION_BUCKETS]);
    assert.match(text, /router_intake_decision_latency_seconds_bucket\{le="300"\} 1$/m);
    assert.match(text, /router_intake_decision_latency_seconds_count 2$/m);
  });

  it("rejects a latency threshold that is not a bucket bound, naming the SLO and listing the bounds", () => {
    const bad: Slo = { ...latency, sli: { ...latency.sli, thresholdSeconds: 0.04 } as Slo["sli"] };
    assert.throws(
      () => validateSlos([bad]),
      /slos\[0\] \(gateway-latency\)\.sli\.thresholdSeconds 0\.04 is not a bucket bound of gateway_http_request_duration_seconds \(bounds: 0\.001, .*0\.05/,
    );
  });

  it("reports every problem at once: objective, period, duplicate name, examples vs error regex", () => {
    const dup: Slo = {
      ...base,
      objective: 1,
      periodDays: 0,
      sli: { ...base.sli, badExample: "200" } as Slo["sli"],
    };
    assert.throws(
      () => validateSlos([base, dup]),
      (e: Error) =>
        /slos\[1\] \(gateway-availability\)\.name is duplicated/.test(e.message) &&
        /objective must be in \(0, 1\) exclusive, got 1/.test(e.message) &&
        /periodDays must be an integer between 1 and 90, got 0/.test(e.message) &&
        /badExample 200 must match errorRegex/.test(e.message),
    );
    assert.throws(() => renderRules({}, [{ ...base, name: "Bad Name" }]), /name must be kebab-case/);
  });
});

describe("burn-rate factors", () => {
  it("are the SRE-workbook factors for a 30-day period", () => {
    assert.deepEqual(
      BURN_POLICIES.map((p) => p.windows.map((w) => burnFactor(30, w))),
      [
        [14.4, 6],
        [3, 1],
      ],
    );
  });

  it("are derived from the period: a 28-day SLO gets 13.44 / 5.6 / 2.8 / 0.9333", () => {
    assert.deepEqual(
      BURN_POLICIES.map((p) => p.windows.map((w) => burnFactor(28, w))),
      [
        [13.44, 5.6],
        [2.8, 0.9333],
      ],
    );
    const files = renderRules({}, [{ ...base, periodDays: 28 }]);
    assert.match(
      files[0].content,
      /slo:sli_error:ratio_rate1h\{slo="gateway-availability"\} > \(13\.44 \* 0\.001\)/,
    );
    assert.match(files[0].content, /record: slo:sli_error:ratio_rate28d/);
  });

  it("records every window the alerts use", () => {
    assert.deepEqual(requiredWindows(), [5, 30, 60, 120, 360, 1440, 4320]);
  });

  it("compresses windows in the live-test profile and refuses a scale below one second", () => {
    const [f] = renderRules({ windowScale: 1 / 60 }, [base]);
    assert.match(f.content, /\[5s\]/);
    assert.match(f.content, /\[12h\]/); // 30d / 60
    assert.throws(() => renderRules({ windowScale: 1 / 1000 }, [base]), /shrinks the 5m window below 1s/);
  });
});
