// CI runs what users run: `npm run prove -- --stack ci` with the real engine, after the deployed suites
// destroyed their own `ci` deployment. One command deploys the stack, runs every E2E check, the five load
// profiles, the chaos suite `ci` and a 1-minute soak against the stack's outputs, and destroys it. This
// suite asserts its exit code and report, every E2E check, every load and chaos gate, the latency causes
// beside p99 and the cpu-squeeze verdict, and that nothing of the stack remains afterwards.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { RunJournal } from "../../chaos/journal";
import { SUITES } from "../../chaos/experiments";
import { ALL_CHECKS } from "../../loadtests/e2e/index";
import { LOAD_PROFILES } from "../../loadtests/profiles";
import type { RunReport } from "../../loadtests/report/write";
import type { ProveResult } from "../../prove/report";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { engineEnv, REPO_ROOT } from "../../scripts/engine";
import { listStackObjects } from "../../scripts/stack-objects";
import { proveAccessors } from "../support/prove-run";
import { CliRun, DEPLOYED_STACK, runStackCli, STATE_DIR } from "../support/deployed-stack";

/** up ~20 s, E2E ~1 min, 5 × ~25 s of load, chaos ~3 min, soak ~75 s, destroy ~7 s; slack for a busy host. */
const PROVE_TIMEOUT_MS = 1_500_000;

describe("npm run prove -- --stack ci: up, E2E, load, chaos, soak, destroy in one command", function () {
  this.timeout(PROVE_TIMEOUT_MS + 120_000);
  let cli: CliRun<ProveResult>;
  let prove: ProveResult;
  const { phase, phaseJson } = proveAccessors(() => cli);

  before(async function () {
    this.timeout(PROVE_TIMEOUT_MS + 60_000);
    cli = await runStackCli<ProveResult>(
      "prove",
      ["--duration", "12s", "--soak", "60s"],
      "summary.json",
      PROVE_TIMEOUT_MS,
    );
    prove = cli.result;
  });

  it("exits 0 with every phase passed, in order, and a report that starts with the verdict table", () => {
    assert.equal(cli.code, 0, `${prove.failures.join("\n")}\n${cli.output.slice(-3000)}`);
    assert.equal(prove.exitCode, 0);
    assert.equal(prove.stack, DEPLOYED_STACK);
    assert.deepEqual(
      prove.phases.map((p) => p.name),
      ["up", "e2e", ...LOAD_PROFILES.map((p) => `load ${p}`), "chaos ci", "soak", "destroy"],
    );
    assert.deepEqual(
      prove.phases.filter((p) => p.status !== "passed").map((p) => `${p.name}: ${p.status} ${p.error ?? ""}`),
      [],
    );
    const md = fs.readFileSync(path.join(cli.dir, "summary.md"), "utf8");
    assert.match(md, /^# Prove run .*: PASSED \(exit 0\)\n/);
    assert.ok(md.indexOf("## Verdict") < md.indexOf("## Phase up"), "the verdict table comes first");
    assert.ok(fs.statSync(path.join(cli.dir, "index.html")).size > 10_000, "index.html with the phases");
    assert.ok(prove.resources.up.length >= 15, "the engine's resource steps with timings");
    assert.ok(prove.logs.length > 0, "the containers' logs bundled");
  });

  it("destroyed the stack: nothing labelled with it remains and the backend no longer has it", async () => {
    assert.equal(phase("destroy").status, "passed");
    const left = await listStackObjects(DEPLOYED_STACK);
    assert.deepEqual(left, { containers: [], networks: [], volumes: [] });
    const ws = await LocalWorkspace.create({
      workDir: REPO_ROOT,
      envVars: engineEnv({ stack: DEPLOYED_STACK, stateDir: STATE_DIR }),
    });
    const stacks = (await ws.listStacks()).map((x) => x.name);
    assert.ok(
      !stacks.includes(DEPLOYED_STACK),
      `the backend still lists ${DEPLOYED_STACK}: ${stacks.join(", ")}`,
    );
  });

  describe("E2E phase", () => {
    for (const check of ALL_CHECKS) {
      it(`${check.id}: ${check.title}`, () => {
        const r = phaseJson<RunReport>("e2e", "summary.json").e2e?.find((x) => x.id === check.id);
        assert.ok(r, `${check.id} did not run`);
        assert.ok(r.passed, r.error);
      });
    }
  });

  describe("load and soak phases", () => {
    for (const name of [...LOAD_PROFILES, "soak"]) {
      it(`${name}: every gate passes, with throttling, event-loop delay and GC beside p99`, () => {
        const run = phaseJson<RunReport>(name === "soak" ? "soak" : `load ${name}`, "summary.json");
        const p = run.profiles.find((x) => x.name === name);
        assert.ok(p, `${name} did not run`);
        assert.deepEqual(
          p.gates.filter((g) => !g.passed).map((g) => g.detail),
          [],
        );
        assert.equal(p.resourceSource, "docker");
        for (const r of p.resources.filter((x) => x.role === "gateway" || x.role === "router")) {
          // Every service container has a CPU quota (0.5), so its CFS periods grow under load.
          assert.ok(r.throttledShare !== null && r.throttledMsSeries.length >= 5, `${r.instance} throttling`);
          assert.ok(r.eventLoopP99Series.length >= 5 && r.gcMsPerS !== null, `${r.instance} event loop, GC`);
        }
        assert.ok(p.tail.windows >= 5 && (p.tail.verdict || p.tail.reason), "a verdict or its reason");
      });
    }
  });

  describe("chaos phase", () => {
    let journal: RunJournal;
    before(() => {
      journal = phaseJson<RunJournal>("chaos ci", "journal.json");
    });
    it("used the docker driver and ran every CI experiment", () => {
      assert.equal(journal.stack.driver, "docker");
      assert.deepEqual(journal.notApplicable, []);
      assert.deepEqual(
        journal.experiments.map((e) => e.name),
        SUITES.ci,
      );
    });
    for (const name of SUITES.ci) {
      it(`${name}: passes its gates (zero loss, recovery, no crash, declared state)`, () => {
        const e = journal.experiments.find((x) => x.name === name);
        assert.ok(e, `${name} did not run`);
        assert.deepEqual(
          [...e.reasons, ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`)],
          [],
        );
        assert.ok(e.ledger!.acked > 0, "no durable message was acked");
      });
    }
    it("cpu-squeeze: the tail verdict names the squeezed router (its throttling, or the event-loop delay it causes), from the Docker stats", () => {
      const e = journal.experiments.find((x) => x.name === "cpu-squeeze")!;
      // cpu-squeeze lowers router[0]'s limit (chaos/experiments/resources.ts); containers are pg-<stack>-*.
      const squeezed = `pg-${DEPLOYED_STACK}-router-0`;
      const r = e.resources?.find((x) => x.instance === squeezed);
      assert.ok(r && (r.throttledMsPerS ?? 0) > 0, `${squeezed} was throttled`);
      // As in test/deployed/30-chaos: throttling when it correlates, else the same router's event-loop delay.
      assert.match(
        e.tail?.verdict ?? `no verdict: ${e.tail?.reason}`,
        new RegExp(`coincide with (throttling|event-loop delay) of ${squeezed} `),
      );
    });
    it("link-latency: latency in the link proxy shows as latency (sync median up by ≥ 100 ms, no error), nothing lost", () => {
      assert.ok(journal.stack.capabilities.includes("link-proxy"), journal.stack.capabilities.join());
      const e = journal.experiments.find((x) => x.name === "link-latency");
      assert.ok(e, "link-latency did not run");
      const gate = e.gates.find((g) => g.gate.kind === "latency-as-latency");
      assert.ok(gate?.pass, gate?.detail ?? "no latency-as-latency gate");
      assert.ok(e.gates.find((g) => g.gate.kind === "zero-loss")?.pass);
      assert.equal(e.ledger!.lost.length, 0);
      const s = e.measures!.faultLatency!.sync;
      assert.equal(s.fault.failed + s.fault.unknown, 0, JSON.stringify(s));
      assert.ok(s.fault.medianMs! >= s.baseline.medianMs! + 100, JSON.stringify(s));
    });
    it("NATS restart: the gateway serves again within 2 s of NATS being back", () => {
      const m = journal.experiments.find((x) => x.name === "nats-kill-restart")!.measures!;
      for (const p of ["sync", "durable"] as const)
        assert.ok(
          (m.firstSuccessAfterFaultMs[p] ?? Infinity) <= 2000,
          JSON.stringify(m.firstSuccessAfterFaultMs),
        );
    });
  });
});
