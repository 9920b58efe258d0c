// Short load profiles against real services on loopback, with their gates asserted: sustained
// (autocannon, 100 connections, wrk cross-check), rate, burst, mixed, errors and a short soak, each with a
// same-run echo baseline. The run writes reports/<id>/ with charts and the services' logs.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS, LOAD_PROFILES } from "../../loadtests/profiles";
import { runValidation, ValidationOutcome } from "../../loadtests/run";
import { startValidationStack, ValidationStack } from "../../loadtests/validation-stack";
import { ensureBuilt, REPORTS_DIR } from "./support";

describe("loadtests: load profiles against the loopback stack", function () {
  let stack: ValidationStack;
  let run: ValidationOutcome;

  before(async function () {
    this.timeout(300000);
    ensureBuilt();
    stack = await startValidationStack();
    run = await runValidation({
      mode: "load",
      outputs: stack.outputs,
      e2e: {},
      load: stack.load,
      profiles: [...LOAD_PROFILES, "soak"],
      settings: { ...DEFAULT_SETTINGS, durationS: 6, soakDurationS: 20, wrk: true },
      reportsDir: REPORTS_DIR,
      processLogDir: stack.logDir,
      command: "mocha test/loadtests/load-local.test.ts",
    });
  });

  after(async function () {
    this.timeout(30000);
    await stack?.stop();
  });

  for (const name of [...LOAD_PROFILES, "soak"]) {
    it(`${name}: every gate passes`, () => {
      const p = run.report.profiles.find((x) => x.name === name);
      assert.ok(p, `profile ${name} ran`);
      const failed = p.gates.filter((g) => !g.passed).map((g) => g.detail);
      assert.deepEqual(failed, [], `${name} gates`);
      assert.ok(p.values.requests! > 0);
      assert.ok(p.baseline && p.ratios?.throughput, "same-run baseline measured with a ratio");
      assert.ok(
        p.resources.some((r) => r.role === "gateway") && p.resources.some((r) => r.role === "router"),
        "gateway and router sampled",
      );
      for (const r of p.resources.filter((x) => x.role !== "nats")) {
        // From each service's own /metrics, on the same clock as the latency windows.
        assert.ok(r.eventLoopP99Series.length >= 3 && r.eventLoopP50Ms !== null, `${r.instance} event loop`);
        assert.ok(r.gcMsSeries.length >= 3, `${r.instance} GC`);
      }
      assert.ok(p.tail.verdict || /no window|too few|no cause meets/.test(p.tail.reason), p.tail.reason);
    });
  }

  it("sustained ran closed-loop at 100 connections and was cross-checked with wrk", () => {
    const p = run.report.profiles.find((x) => x.name === "sustained")!;
    assert.equal(p.tool, "autocannon");
    assert.equal(p.settings.connections, 100);
    assert.ok(p.wrk && p.wrk.requestsPerSec > 0, "wrk measured the same target");
    assert.equal(p.wrk.non2xx, 0);
  });

  it("errors: exactly the injected invalid requests got a 4xx, none a 5xx", () => {
    const v = run.report.profiles.find((x) => x.name === "errors")!.values;
    assert.ok(v.expected_4xx! > 0);
    assert.equal(v.http_4xx, v.expected_4xx);
    assert.equal(v.http_5xx, 0);
  });

  it("open-model profiles report corrected and uncorrected latency and late/dropped sends", () => {
    for (const name of ["rate", "burst", "mixed", "soak"]) {
      const v = run.report.profiles.find((x) => x.name === name)!.values;
      assert.ok(v.p99_ms! >= v.p99_uncorrected_ms! - 1, `${name}: corrected p99 ≥ uncorrected`);
      assert.equal(typeof v.late, "number");
      assert.equal(v.dropped, 0);
    }
  });

  it("leaves summary.json, summary.md, index.html with charts, the logs and the runs index", () => {
    for (const f of ["summary.json", "summary.md", "index.html"])
      assert.ok(fs.existsSync(path.join(run.dir, f)), f);
    const html = fs.readFileSync(path.join(run.dir, "index.html"), "utf8");
    assert.ok((html.match(/<svg/g) ?? []).length >= 6 * 5, "charts for every profile");
    assert.ok(
      run.report.logs.some((l) => l.name.startsWith("gateway")) &&
        run.report.logs.some((l) => l.name.startsWith("router")),
    );
    assert.ok(
      fs.statSync(path.join(run.dir, run.report.logs.find((l) => l.name.startsWith("gateway"))!.file)).size >
        0,
    );
    assert.match(fs.readFileSync(path.join(REPORTS_DIR, "index.html"), "utf8"), new RegExp(run.report.id));
    assert.equal(run.report.passed, true, run.report.failures.join("\n"));
  });
});
