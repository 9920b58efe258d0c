// Time to detect: per-instance alert tracking from Prometheus's activeAt, the detected-within gate, the
// precondition without Prometheus, the wait for expected alerts to resolve before the baseline and the
// await-alert step — the last two against a loopback HTTP server answering /api/v1/alerts in Prometheus's
// shape, with the alert states under the test's control.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { natsClusterNodeKill, natsKillRestart } from "../../chaos/experiments/nats";
import { evaluateGates, type GateFacts } from "../../chaos/gates";
import type { ExperimentJournal, Measures, RunJournal } from "../../chaos/journal";
import { timeToDetect, type AlertObservation } from "../../chaos/measures";
import {
  activeInstances,
  applyAlertPoll,
  awaitAlert,
  firingSince,
  markPreexisting,
  newAlertTracker,
  PromAlert,
  ResolveWait,
  unresolvedMessage,
  waitAlertsResolved,
} from "../../chaos/observe";
import { detectionText, renderReport, resolveWaitText } from "../../chaos/report";
import { runExperiment } from "../../chaos/runner";
import type { StackOutputs } from "../../stacks/outputs";
import type { ChaosDriver } from "../../tooling/drivers/types";
import { waitFor } from "../../tooling/local/wait";

const iso = (t: number) => new Date(t).toISOString();
const nats = (n: number) => ({
  alertname: "NatsUnreachable",
  instance: `http://nats-${n}:8222/healthz`,
  job: "blackbox-nats",
  severity: "critical",
});
const KEY1 = 'NatsUnreachable{instance="http://nats-1:8222/healthz",job="blackbox-nats",severity="critical"}';

describe("chaos detection: alert instances tracked from their own transition", () => {
  it("a new instance of an alert already firing counts; the instance firing before the fault does not", () => {
    const tr = newAlertTracker();
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    // From the load tests: nats-0's instance firing, an SLO page pending.
    applyAlertPoll(
      tr,
      [
        { labels: nats(0), state: "firing", activeAt: iso(t0 - 60000) },
        { labels: { alertname: "SloBurnPage", slo: "decide" }, state: "pending", activeAt: iso(t0 - 5000) },
      ],
      t0,
    );
    markPreexisting(tr, t0);
    const faultStart = t0 + 1000;
    // After the fault: nats-0 still firing (same activeAt), nats-1 pending, the SLO page firing now.
    const after = [
      { labels: nats(0), state: "firing", activeAt: iso(t0 - 60000) },
      { labels: nats(1), state: "pending", activeAt: iso(faultStart + 14000) },
      { labels: { alertname: "SloBurnPage", slo: "decide" }, state: "firing", activeAt: iso(t0 - 5000) },
    ];
    applyAlertPoll(tr, after, faultStart + 15000);
    after[1].state = "firing";
    applyAlertPoll(tr, after, faultStart + 45000);
    assert.equal(tr.alerts.size, 3);
    const n1 = tr.alerts.get(KEY1)!;
    assert.deepEqual(
      { activeAt: n1.activeAt, firstFiringAt: n1.firstFiringAt, preexisting: n1.preexisting },
      { activeAt: faultStart + 14000, firstFiringAt: faultStart + 45000, preexisting: false },
    );
    assert.deepEqual(n1.labels, {
      instance: "http://nats-1:8222/healthz",
      job: "blackbox-nats",
      severity: "critical",
    });
    assert.deepEqual(timeToDetect([...tr.alerts.values()], faultStart), { [KEY1]: 45000 });

    // nats-0 resolves, then becomes active again for this fault (a new activeAt): now it counts too.
    applyAlertPoll(tr, [after[1]], faultStart + 50000);
    applyAlertPoll(
      tr,
      [{ labels: nats(0), state: "firing", activeAt: iso(faultStart + 52000) }],
      faultStart + 90000,
    );
    const ttd = timeToDetect([...tr.alerts.values()], faultStart);
    assert.equal(ttd[KEY1.replace("nats-1", "nats-0")], 90000);

    // nats-1 resolved at that poll; a later flap (active again, pending) keeps its first detection.
    applyAlertPoll(
      tr,
      [{ labels: nats(1), state: "pending", activeAt: iso(faultStart + 95000) }],
      faultStart + 96000,
    );
    assert.equal(timeToDetect([...tr.alerts.values()], faultStart)[KEY1], 45000);
  });

  it("pure poll predicates: active instances of named alerts, firing since a time", () => {
    const polled: PromAlert[] = [
      { labels: nats(0), state: "firing", activeAt: iso(1000) },
      { labels: nats(1), state: "pending", activeAt: iso(9000) },
      { labels: { alertname: "Watchdog" }, state: "firing", activeAt: iso(0) },
      { labels: { alertname: "Old" }, state: "inactive" },
    ];
    assert.deepEqual(activeInstances(polled, ["NatsUnreachable", "Old"]), [
      KEY1.replace("nats-1", "nats-0"),
      KEY1,
    ]);
    assert.equal(firingSince(polled, "NatsUnreachable", 5000), undefined); // firing one started before
    assert.equal(firingSince(polled, "NatsUnreachable", 1000), polled[0]);
    assert.equal(firingSince([{ labels: nats(2), state: "firing" }], "NatsUnreachable", 0), undefined); // no activeAt
  });
});

const measures = (ttd: Record<string, number>): Measures => ({
  baselineP99Ms: { sync: 10, durable: 12 },
  faultStart: 100000,
  faultEnd: 160000,
  timeToRecoverMs: 1500,
  timeToRecoverByPath: { sync: 1500, durable: 800 },
  firstSuccessAfterFaultMs: { sync: 300, durable: 250 },
  errorWindowMs: 0,
  blastRadius: { failed: 0, unknown: 0, total: 400, share: 0 },
  timeToDetectMs: ttd,
});

describe("chaos detection: the detected-within gate", () => {
  const gate = { kind: "detected-within" as const, alert: "NatsUnreachable", ms: 120000 };
  const facts = (ttd: Record<string, number>, extra: Partial<GateFacts> = {}): GateFacts => ({
    measures: measures(ttd),
    stateBefore: {},
    stateAfter: {},
    rollbackErrors: [],
    ...extra,
  });

  it("passes when an instance fired within the bound, giving the time to detect in seconds", () => {
    const [r] = evaluateGates([gate], facts({ [KEY1]: 47200, 'Other{a="b"}': 1000 }));
    assert.equal(r.pass, true);
    assert.equal(r.detail, `${KEY1} firing 47.2 s after the fault started (bound 120.0 s)`);
  });

  it("fails over the bound, with the measured time", () => {
    const [r] = evaluateGates([gate], facts({ [KEY1]: 131000 }));
    assert.equal(r.pass, false);
    assert.match(r.detail, /firing 131\.0 s after the fault started \(bound 120\.0 s\)/);
  });

  it("fails without a detection and says why: pre-existing, pending only, or nothing at all", () => {
    const old: AlertObservation = {
      name: "NatsUnreachable",
      labels: { instance: "n0" },
      activeAt: 40000,
      firstFiringAt: 70000,
      preexisting: true,
    };
    const pending: AlertObservation = {
      name: "NatsUnreachable",
      labels: { instance: "n1" },
      activeAt: 130000,
      preexisting: false,
    };
    const [r] = evaluateGates([gate], facts({}, { alerts: [old, pending] }));
    assert.equal(r.pass, false);
    assert.equal(
      r.detail,
      'NatsUnreachable not detected: NatsUnreachable{instance="n0"} was already active before the fault (since -60.0 s after the fault start); NatsUnreachable{instance="n1"} went pending 30.0 s after the fault start but never fired (bound 120.0 s)',
    );
    const [none] = evaluateGates([gate], facts({}, { alerts: [] }));
    assert.match(none.detail, /no instance of NatsUnreachable went pending or firing/);
  });

  it("fails with the resolve-wait message when the expected alert was still active before the baseline", () => {
    const w: ResolveWait = {
      alerts: ["NatsUnreachable"],
      waitedMs: 240000,
      resolved: false,
      stillActive: [KEY1],
      maxMs: 240000,
    };
    // Even with an instance that fired after the fault: the run did not start from a resolved state.
    const [r] = evaluateGates([gate], facts({ [KEY1]: 30000 }, { resolveWait: w }));
    assert.equal(r.pass, false);
    assert.equal(r.detail, unresolvedMessage(w));
    assert.match(
      r.detail,
      /NatsUnreachable not resolved after waiting 240 s before the baseline \(still pending\/firing: NatsUnreachable\{/,
    );
  });
});

describe("chaos detection: Prometheus waits (loopback /api/v1/alerts)", () => {
  let server: http.Server;
  let url = "";
  let alerts: PromAlert[] = [];
  let polls = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== "/api/v1/alerts") {
        res.statusCode = 404;
        res.end();
        return;
      }
      polls++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status: "success", data: { alerts } }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    alerts = [];
    polls = 0;
  });

  it("resolve wait: returns at once when nothing expected is active (other alerts do not matter)", async () => {
    alerts = [{ labels: { alertname: "Watchdog" }, state: "firing", activeAt: iso(0) }];
    const w = await waitAlertsResolved(url, ["NatsUnreachable"], { intervalMs: 10 });
    assert.equal(w.resolved, true);
    assert.deepEqual(w.stillActive, []);
    assert.equal(polls, 1);
  });

  it("resolve wait: waits while an instance is pending or firing, with a progress line, until it resolves", async () => {
    alerts = [{ labels: nats(1), state: "pending", activeAt: iso(Date.now()) }];
    const lines: string[] = [];
    const p = waitAlertsResolved(url, ["NatsUnreachable"], {
      intervalMs: 10,
      progress: (l) => lines.push(l),
    });
    await waitFor("a progress line", () => lines.length >= 2);
    alerts[0].state = "firing";
    const polled = polls;
    await waitFor("another poll", () => polls > polled + 1);
    alerts = [];
    const w = await p;
    assert.equal(w.resolved, true);
    assert.ok(w.waitedMs > 0);
    assert.match(lines[0], /^waiting for NatsUnreachable to resolve before the baseline \(\d+ s\)$/);
  });

  it("resolve wait: reports the instances still active at the bound, and an unreachable Prometheus", async () => {
    alerts = [{ labels: nats(1), state: "firing", activeAt: iso(Date.now()) }];
    const w = await waitAlertsResolved(url, ["NatsUnreachable"], { intervalMs: 10, maxMs: 60 });
    assert.equal(w.resolved, false);
    assert.deepEqual(w.stillActive, [KEY1]);
    assert.ok(w.waitedMs >= 60);
    assert.match(unresolvedMessage(w), /still pending\/firing: NatsUnreachable\{instance=/);

    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await waitAlertsResolved(`http://127.0.0.1:${port}`, ["NatsUnreachable"], {
      intervalMs: 10,
      maxMs: 40,
    });
    assert.equal(down.resolved, false);
    assert.match(down.error ?? "", /Prometheus did not answer/);
  });

  it("await-alert: ignores the instance active before the fault, returns when a new activation fires", async () => {
    const faultStart = Date.now();
    alerts = [{ labels: nats(0), state: "firing", activeAt: iso(faultStart - 60000) }];
    let done = false;
    const p = awaitAlert(url, "NatsUnreachable", faultStart, 10000, 10).then(() => (done = true));
    await waitFor("polls with the old instance", () => polls >= 3);
    alerts.push({ labels: nats(1), state: "pending", activeAt: iso(faultStart + 5) });
    const polled = polls;
    await waitFor("polls with the pending instance", () => polls > polled + 2);
    assert.equal(done, false);
    alerts[1].state = "firing";
    await p;
    assert.equal(done, true);
  });

  it("await-alert: throws after the timeout naming the alert, the wait and the last poll", async () => {
    const faultStart = Date.now();
    alerts = [{ labels: nats(1), state: "pending", activeAt: iso(faultStart + 1000) }];
    await assert.rejects(awaitAlert(url, "NatsUnreachable", faultStart, 50, 10), (e: Error) => {
      assert.match(
        e.message,
        /^alert NatsUnreachable did not fire for this fault within 0\.1 s \(waited 0\.\d s/,
      );
      assert.match(
        e.message,
        /last poll: NatsUnreachable\{instance="http:\/\/nats-1:8222\/healthz",.*\} pending, active since 1\.0 s after the fault start/,
      );
      return true;
    });
    await assert.rejects(awaitAlert(undefined, "NatsUnreachable", faultStart, 50), /no prometheusUrl/);
  });
});

describe("chaos detection: runner precondition and report", () => {
  it("an experiment with expected alerts fails its precondition on a stack without Prometheus", async () => {
    const driver = { name: "process", count: () => 3 } as unknown as ChaosDriver;
    const outputs = {
      gatewayUrl: "http://127.0.0.1:1",
      chaosTargets: { nats: {}, router: {}, gateway: {} },
    } as unknown as StackOutputs;
    const j = await runExperiment(natsClusterNodeKill, { outputs, driver });
    assert.equal(j.status, "failed");
    assert.deepEqual(j.reasons, [
      "precondition failed: expects alert(s) NatsUnreachable but the stack outputs have no prometheusUrl (no Prometheus to measure detection): not applicable",
    ]);
    assert.equal(j.resolveWait, undefined);
  });

  it("shows expected alerts, the resolve wait and time to detect per instance (seconds), also in the summary", () => {
    const exp: ExperimentJournal = {
      name: natsClusterNodeKill.name,
      title: natsClusterNodeKill.title,
      definition: natsClusterNodeKill,
      status: "passed",
      reasons: [],
      startedAt: 90000,
      endedAt: 200000,
      observedEnd: 180000,
      resolveWait: {
        alerts: ["NatsUnreachable"],
        waitedMs: 12300,
        resolved: true,
        stillActive: [],
        maxMs: 240000,
      },
      steps: [],
      probes: [],
      alerts: [
        {
          name: "NatsUnreachable",
          labels: nats(1),
          activeAt: 114000,
          firstFiringAt: 147200,
          preexisting: false,
        },
        { name: "Watchdog", labels: {}, activeAt: 0, firstFiringAt: 90000, preexisting: true },
      ],
      requests: [],
      measures: measures({ [KEY1]: 47200 }),
      gates: [],
    };
    assert.equal(detectionText(exp), `${KEY1} 47.2 s (bound 120.0 s)`);
    assert.equal(resolveWaitText(exp), "waited 12.3 s for NatsUnreachable to resolve before the baseline");
    const other: ExperimentJournal = {
      ...exp,
      name: natsKillRestart.name,
      definition: natsKillRestart,
      resolveWait: undefined,
      measures: measures({ 'ProcessRestarted{job="router"}': 13100 }),
    };
    assert.equal(detectionText(other), 'ProcessRestarted{job="router"} 13.1 s');
    assert.equal(resolveWaitText(other), "–");
    const run: RunJournal = {
      runId: "r1",
      startedAt: "2026-01-01T00:00:00.000Z",
      stack: { target: "docker", stack: "dev", driver: "docker", capabilities: [] },
      notApplicable: [],
      experiments: [exp, other],
      status: "passed",
    };
    const html = renderReport(run);
    const q = (s: string) => s.replace(/"/g, "&quot;");
    assert.ok(html.includes("<th>time to detect</th>"));
    assert.ok(html.includes(`<td>${q(KEY1)} 47.2 s (bound 120.0 s)</td>`));
    assert.ok(html.includes("<b>Expected alerts:</b> NatsUnreachable within 120.0 s"));
    assert.ok(html.includes("waited 12.3 s for NatsUnreachable to resolve before the baseline"));
    assert.ok(html.includes(`${q(KEY1)}: 47.2 s`));
    assert.ok(
      html.includes(
        "Watchdog firing, active since -100.0 s after the fault start (active already before the fault",
      ),
    );
  });
});
