// Short load profiles (sustained with a wrk cross-check, rate, burst, mixed, errors) and a 1-minute soak
// against the real `ci` stack, with every gate asserted. Resources come from the Docker API; the report
// (reports/<id>/index.html) holds charts, the same-run baseline ratios and the containers' logs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS, LOAD_PROFILES } from "../../loadtests/profiles";
import { runValidation, ValidationOutcome } from "../../loadtests/run";
import { LOAD_TENANTS } from "../../loadtests/validation-stack";
import { DEPLOY_TIMEOUT_MS, getDeployedStack } from "../support/deployed-stack";

describe("load profiles against the deployed ci stack", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let run: ValidationOutcome;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 900000);
    const outputs = await getDeployedStack();
    run = await runValidation({
      mode: "load",
      outputs,
      e2e: {},
      load: { tenants: LOAD_TENANTS },
      profiles: [...LOAD_PROFILES, "soak"],
      settings: { ...DEFAULT_SETTINGS, durationS: 12, soakDurationS: 60, wrk: true },
      reportsDir: path.resolve("reports"),
      command: "mocha test/deployed/20-load.test.ts",
      log: process.env.TEST_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined,
    });
  });

  for (const name of [...LOAD_PROFILES, "soak"]) {
    it(`${name}: every gate passes`, () => {
      const p = run.report.profiles.find((x) => x.name === name);
      assert.ok(p, `${name} did not run`);
      assert.deepEqual(
        p.gates.filter((g) => !g.passed).map((g) => g.detail),
        [],
        `${name} gates (report ${run.dir}/index.html)`,
      );
      assert.ok(p.ratios?.throughput, "same-run baseline ratio");
    });
  }

  it("sampled gateway, router and NATS containers through the Docker API", () => {
    const p = run.report.profiles.find((x) => x.name === "soak")!;
    assert.equal(p.resourceSource, "docker");
    for (const role of ["gateway", "router", "nats"]) {
      assert.ok(
        p.resources.some((r) => r.role === role && r.samples >= 10),
        `${role} sampled`,
      );
    }
  });

  it("puts CFS throttling, event-loop delay and GC beside p99 in every profile, with a verdict or its reason", async () => {
    for (const p of run.report.profiles) {
      for (const r of p.resources.filter((x) => x.role === "gateway" || x.role === "router")) {
        // Every service container has a CPU quota (0.5), so its CFS periods grow under load.
        assert.ok(
          r.throttledShare !== null && r.throttledMsSeries.length >= 5,
          `${p.name}/${r.instance} throttling`,
        );
        assert.ok(
          r.eventLoopP99Series.length >= 5 && r.eventLoopP50Ms !== null,
          `${p.name}/${r.instance} event loop`,
        );
        assert.ok(r.gcMsPerS !== null, `${p.name}/${r.instance} GC`);
      }
      assert.ok(p.tail.windows >= 5, `${p.name}: latency windows beside the causes`);
      assert.ok(p.tail.verdict || p.tail.reason, `${p.name}: verdict or reason`);
    }
    const html = fs.readFileSync(path.join(run.dir, "index.html"), "utf8");
    for (const title of [
      "CPU throttled (ms per second, CFS)",
      "event-loop delay p99 (ms)",
      "GC pause (ms per second)",
    ])
      assert.ok(html.includes(`soak: ${title}`), `report chart ${title}`);
    assert.match(html, /verdict: /);
    assert.match(html, /throttled periods %/);
  });

  it("cross-checked sustained with wrk and bundled the containers' logs", () => {
    const s = run.report.profiles.find((x) => x.name === "sustained")!;
    assert.ok(s.wrk && s.wrk.requestsPerSec > 0);
    assert.ok(
      run.report.logs.some((l) => /gateway/.test(l.name)) &&
        run.report.logs.some((l) => /router/.test(l.name)),
    );
  });
});
