import assert from "node:assert/strict";
import { parseArgs } from "../../chaos/cli";
import { EXPERIMENTS, select, SUITES } from "../../chaos/experiments";
import { natsClusterNodeKill, natsKillRestart } from "../../chaos/experiments/nats";
import { linkLatency, partitionRouter } from "../../chaos/experiments/network";
import { evaluateGates } from "../../chaos/gates";
import type { ExperimentJournal, Measures, RunJournal } from "../../chaos/journal";
import { reconcile } from "../../chaos/ledger";
import {
  alertsNeeded,
  capabilityFor,
  checkPreconditions,
  Experiment,
  faultEndIndex,
  isWaitAction,
  validateExperiment,
} from "../../chaos/model";
import { renderReport } from "../../chaos/report";

describe("chaos experiment model", () => {
  it("every catalog experiment is valid and every suite names known experiments", () => {
    for (const e of EXPERIMENTS) assert.deepEqual(validateExperiment(e), [], e.name);
    assert.equal(new Set(EXPERIMENTS.map((e) => e.name)).size, EXPERIMENTS.length);
    for (const names of Object.values(SUITES))
      for (const n of names)
        assert.ok(
          EXPERIMENTS.some((e) => e.name === n),
          n,
        );
    assert.deepEqual(SUITES.ci, [
      "nats-kill-restart",
      "router-kill",
      "gateway-restart",
      "partition-router",
      "cpu-squeeze",
      "link-latency",
    ]);
    // link-loss needs netem or iptables inside the router's namespace (root on the Docker host): not in CI.
    assert.ok(!SUITES.ci.includes("link-loss"));
  });

  it("rejects a fault without a rollback, a bad name and an observation shorter than the hold", () => {
    const bad: Experiment = {
      ...natsKillRestart,
      name: "Bad Name",
      rollbacks: [],
      observeMs: 5000,
    };
    const p = validateExperiment(bad);
    assert.ok(p.some((x) => /kebab-case/.test(x)));
    assert.ok(p.some((x) => /has no start rollback/.test(x)));
    assert.ok(p.some((x) => /must cover holdMs/.test(x)));
  });

  it("rejects steps on roles the experiment does not declare", () => {
    const e: Experiment = { ...natsKillRestart, needs: { router: 1 } };
    assert.ok(validateExperiment(e).some((x) => /targets nats, not in needs/.test(x)));
  });

  it("3-node experiment fails its precondition on a 1-node stack, passes on 3 nodes", () => {
    const prom = { prometheusUrl: "http://127.0.0.1:9090" };
    const one = checkPreconditions(natsClusterNodeKill, { nats: 1, router: 1, gateway: 1 }, new Set(), prom);
    assert.equal(one.ok, false);
    assert.match(one.problems.join(), /needs 3 nats instance\(s\), the stack has 1: not applicable/);
    assert.equal(
      checkPreconditions(natsClusterNodeKill, { nats: 3, router: 1, gateway: 1 }, new Set(), prom).ok,
      true,
    );
  });

  it("an experiment expecting alerts fails its precondition without Prometheus (not applicable in suites)", () => {
    const counts = { nats: 3, router: 1, gateway: 1 };
    assert.deepEqual(alertsNeeded(natsClusterNodeKill), ["NatsUnreachable"]);
    const pre = checkPreconditions(natsClusterNodeKill, counts, new Set(), {});
    assert.equal(pre.ok, false);
    assert.deepEqual(pre.problems, [
      "expects alert(s) NatsUnreachable but the stack outputs have no prometheusUrl (no Prometheus to measure detection): not applicable",
    ]);
    // Experiments without expected alerts do not need Prometheus.
    assert.equal(checkPreconditions(natsKillRestart, counts, new Set(), {}).ok, true);
  });

  it("detection: await-alert and detected-within name an expected alert, after a fault step", () => {
    const e: Experiment = {
      ...natsClusterNodeKill,
      detects: [],
      method: [
        { label: "too early", action: { kind: "await-alert", alert: "X" } },
        ...natsClusterNodeKill.method,
      ],
    };
    const p = validateExperiment(e);
    assert.ok(p.some((x) => /"too early" awaits X, not listed in detects/.test(x)));
    assert.ok(p.some((x) => /"too early" awaits an alert before any fault step/.test(x)));
    assert.ok(p.some((x) => /gate detected-within NatsUnreachable is not listed in detects/.test(x)));
    // The await-alert step is not the fault start and the fault still ends when nats[1] is healthy.
    assert.equal(isWaitAction(natsClusterNodeKill.method[1].action), true);
    assert.equal(natsClusterNodeKill.method[faultEndIndex(natsClusterNodeKill)].label, "nats[1] healthy");
  });

  it("capabilities: partition and latency need the driver to support them", () => {
    const counts = { nats: 1, router: 1, gateway: 1 };
    assert.match(checkPreconditions(partitionRouter, counts, new Set(), {}).problems.join(), /"partition"/);
    assert.equal(checkPreconditions(partitionRouter, counts, new Set(["partition"]), {}).ok, true);
    // link-latency adds its latency in the stack's link proxy (Toxiproxy), not with netem.
    assert.match(
      checkPreconditions(linkLatency, counts, new Set(["link-loss", "link-delay"]), {}).problems.join(),
      /needs driver capability "link-proxy"/,
    );
    assert.equal(checkPreconditions(linkLatency, counts, new Set(["link-proxy"]), {}).ok, true);
    assert.equal(capabilityFor({ kind: "proxy-latency" }), "link-proxy");
    assert.equal(capabilityFor({ kind: "impair", target: { role: "router" } }), undefined); // removal needs nothing
  });

  it("the fault ends at the step marked endsFault (NATS healthy), else the last step", () => {
    assert.equal(natsKillRestart.method[faultEndIndex(natsKillRestart)].action.kind, "await-healthy");
    const unmarked = {
      ...natsKillRestart,
      method: natsKillRestart.method.slice(0, 3).map((s) => ({ ...s, endsFault: false })),
    };
    assert.equal(faultEndIndex(unmarked), 2);
  });

  it("select: suites exclude nothing by themselves, explicit names win over suite membership", () => {
    const s = select(["ci", "nats-kill-restart", "nats-cluster-node-kill"]);
    assert.equal(s.experiments.length, SUITES.ci.length + 1);
    assert.equal(s.fromSuite.has("nats-kill-restart"), false);
    assert.equal(s.fromSuite.has("router-kill"), true);
    assert.throws(() => select(["nope"]), /unknown suite or experiment "nope"/);
  });

  it("CLI arguments", () => {
    assert.deepEqual(parseArgs(["ci", "--outputs", "o.json"]), { words: ["ci"], outputsFile: "o.json" });
    assert.throws(() => parseArgs(["--stack"]), /--stack needs a value/);
    assert.throws(() => parseArgs(["ci", "--stack", "a", "--outputs", "b"]), /either --stack or --outputs/);
    assert.throws(() => parseArgs([]), /at least one suite or experiment/);
    assert.throws(() => parseArgs(["ci", "--bogus"]), /unknown option --bogus/);
    assert.deepEqual(parseArgs(["ci", "--stack", "ci", "--tenant-tokens", "chaos:k1:x,a:k2"]), {
      words: ["ci"],
      stack: "ci",
      tenantTokens: { chaos: "k1:x", a: "k2" },
    });
    assert.throws(
      () => parseArgs(["ci", "--tenant-tokens", "chaos:ok,secret-without-tenant"]),
      (e: Error) => /entry 2 is not/.test(e.message) && !e.message.includes("secret"),
    );
  });
});

const measures: Measures = {
  baselineP99Ms: { sync: 10, durable: 12 },
  faultStart: 5000,
  faultEnd: 9000,
  timeToRecoverMs: 1500,
  timeToRecoverByPath: { sync: 1500, durable: 800 },
  firstSuccessAfterFaultMs: { sync: 300, durable: 2500 },
  errorWindowMs: 4200,
  blastRadius: { failed: 10, unknown: 2, total: 400, share: 0.03 },
  timeToDetectMs: { NatsDown: 4000 },
};

describe("chaos gates", () => {
  it("evaluates each gate kind against the facts, with numbers in the detail", () => {
    const ledger = reconcile(
      [{ messageId: "m1", outcome: "ok", attempt: 1 }],
      new Map([["m1", { state: "pending" as const }]]),
    );
    const res = evaluateGates(
      [
        { kind: "zero-loss" },
        { kind: "recovery-within", ms: 2000 },
        { kind: "recovery-within", ms: 1000 },
        { kind: "first-success-within", path: "sync", ms: 2000 },
        { kind: "first-success-within", path: "durable", ms: 2000 },
        { kind: "no-crashed-service" },
        { kind: "declared-state" },
        { kind: "blast-radius-at-most", share: 0.05 },
      ],
      {
        measures,
        ledger,
        stateBefore: { nats: [true], router: [true, true], validation: [false] },
        stateAfter: { nats: [true], router: [true, false], validation: [false] },
        rollbackErrors: [],
      },
    );
    assert.deepEqual(
      res.map((r) => r.pass),
      [false, true, false, true, false, false, false, true],
    );
    assert.match(res[0].detail, /lost 1/);
    assert.match(res[4].detail, /2500 ms/);
    assert.match(res[5].detail, /router\[1\]/);
    assert.doesNotMatch(res[5].detail, /validation/); // a one-shot job that had exited before is no crash
  });

  it("declared-state fails when a rollback threw even if instances look alike", () => {
    const [r] = evaluateGates([{ kind: "declared-state" }], {
      measures,
      stateBefore: { nats: [true] },
      stateAfter: { nats: [true] },
      rollbackErrors: ["restore limits: boom"],
    });
    assert.equal(r.pass, false);
    assert.match(r.detail, /rollback failed: restore limits: boom/);
  });
});

describe("chaos HTML report", () => {
  const exp: ExperimentJournal = {
    name: "nats-kill-restart",
    title: natsKillRestart.title,
    definition: natsKillRestart,
    status: "failed",
    reasons: [],
    startedAt: 0,
    endedAt: 20000,
    observedEnd: 20000,
    steps: [
      { phase: "method", label: "SIGKILL nats", action: "kill nats[0]", startedAt: 5000, endedAt: 5100 },
    ],
    probes: [{ t: 1000, health: true, ready: true, running: { nats: [true] } }],
    alerts: [{ name: "NatsDown", firstFiringAt: 9000, preexisting: false }],
    requests: [
      { path: "sync", intendedAt: 1000, sentAt: 1000, doneAt: 1010, outcome: "ok" },
      { path: "durable", intendedAt: 6000, sentAt: 6000, doneAt: 6010, outcome: "unknown", messageId: "<m>" },
    ],
    ledger: reconcile([{ messageId: "<m>", outcome: "ok", attempt: 1 }], new Map()),
    measures,
    gates: [{ gate: { kind: "zero-loss" }, pass: false, detail: "lost 1" }],
  };
  const run: RunJournal = {
    runId: "r1",
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:01:00.000Z",
    stack: { target: "docker", stack: "ci", driver: "docker", capabilities: ["partition"] },
    notApplicable: [
      {
        name: "nats-cluster-node-kill",
        problems: ["needs 3 nats instance(s), the stack has 1: not applicable"],
      },
    ],
    experiments: [exp],
    status: "failed",
  };

  it("is deterministic and joins steps, alerts and outcomes on one timeline", () => {
    const html = renderReport(run);
    assert.equal(html, renderReport(run));
    assert.match(html, /FAILED/);
    assert.match(html, /SIGKILL nats/);
    assert.match(html, /alert NatsDown/);
    assert.match(html, /Requests per second by outcome/);
    assert.match(html, /SLO burn rate/);
    assert.match(html, /lost &lt;m&gt;/); // ids are escaped
    assert.match(html, /nats-cluster-node-kill \(needs 3 nats/);
    assert.equal((html.match(/<svg/g) ?? []).length, 4);
  });
});
