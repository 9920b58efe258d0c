// Runs one experiment end to end: precondition → expected alerts resolved → load + probes + alert polling
// → baseline → method (fault steps) → rollbacks (always) → observation → drain and ledger → measures →
// gates → journal.
import crypto from "node:crypto";
import type { Role, StackOutputs } from "../stacks/outputs";
import { analyzeResources, ResourceSampler } from "../tooling/resources";
import { decideLatencyThresholdMs, DEFAULT_TAIL_RULE, tailCause } from "../tooling/tail-cause";
import { drain } from "./drain";
import { awaitHealthy } from "./health";
import type { ChaosDriver, DriverCapability } from "../tooling/drivers/types";
import { evaluateGates } from "./gates";
import type { ExperimentJournal, Measures, StepRecord } from "./journal";
import { DurableAttempt, reconcile } from "./ledger";
import { startLoad } from "./load";
import {
  blastRadius,
  errorWindow,
  firstSuccessAfter,
  inWindow,
  latencyShift,
  p99Ok,
  Path,
  perSecond,
  RequestRecord,
  timeToDetect,
  timeToRecover,
} from "./measures";
import { Action, checkPreconditions, Experiment, faultEndIndex, isWaitAction, Step } from "./model";
import { awaitAlert, rolesOf, startObserver, unresolvedMessage, waitAlertsResolved } from "./observe";

/** The tenant of the experiments' load and drain. */
export const CHAOS_TENANT = "chaos";

export interface RunOptions {
  outputs: StackOutputs;
  driver: ChaosDriver;
  /** Time limit for the ledger drain. */
  drainTimeLimitMs?: number;
  /** One line of progress at a time (the CLI rewrites it in place). */
  progress?: (line: string) => void;
  /** Bound of the wait for the expected alerts to resolve before the baseline (default 240 s). */
  resolveWaitMaxMs?: number;
}

export async function driverCapabilities(d: ChaosDriver): Promise<Set<DriverCapability>> {
  return d.capabilities ? d.capabilities() : new Set();
}

export function roleCounts(outputs: StackOutputs, d: ChaosDriver): Partial<Record<Role, number>> {
  const c: Partial<Record<Role, number>> = {};
  for (const r of rolesOf(outputs)) c[r] = d.count(r);
  return c;
}

function describe(a: Action): string {
  if (a.kind === "wait") return `wait ${a.ms} ms`;
  if (a.kind === "await-alert") return `await alert ${a.alert} firing`;
  if (a.kind === "proxy-latency")
    return `proxy latency on the router links ${a.latency ? JSON.stringify(a.latency) : "remove"}`;
  if (a.kind === "await-healthy")
    return `await healthy ${a.target.role}${a.target.index === undefined ? "[*]" : `[${a.target.index}]`}`;
  const t = `${a.target.role}${a.target.index === undefined ? "[*]" : `[${a.target.index}]`}`;
  if (a.kind === "squeeze") return `squeeze ${t} ${a.limits ? JSON.stringify(a.limits) : "restore"}`;
  if (a.kind === "impair") return `impair ${t} ${a.impairment ? JSON.stringify(a.impairment) : "remove"}`;
  return `${a.kind} ${t}${a.kind === "kill" && a.signal ? ` ${a.signal}` : ""}`;
}

/** Default time limit of an `await-alert` step. */
export const AWAIT_ALERT_TIMEOUT_MS = 180000;

async function perform(
  d: ChaosDriver,
  a: Action,
  outputs: StackOutputs,
  ctx: { faultStart?: number },
): Promise<void> {
  const need = <T>(m: T | undefined, what: string): T => {
    if (!m) throw new Error(`driver ${d.name} cannot ${what}`);
    return m;
  };
  switch (a.kind) {
    case "wait":
      return new Promise((r) => setTimeout(r, a.ms));
    case "await-healthy":
      return awaitHealthy(outputs, a.target.role, a.target.index, a.timeoutMs ?? 30000);
    case "await-alert":
      // Driver-independent: Prometheus is read directly. Validation puts a fault step before it.
      return awaitAlert(
        outputs.prometheusUrl,
        a.alert,
        ctx.faultStart ?? Date.now(),
        a.timeoutMs ?? AWAIT_ALERT_TIMEOUT_MS,
      );
    case "kill":
      return d.kill(a.target, a.signal);
    case "start":
      return d.start(a.target);
    case "restart":
      return d.restart(a.target);
    case "pause":
      return d.pause(a.target);
    case "unpause":
      return d.unpause(a.target);
    case "recreate":
      return need(d.recreate, "recreate").call(d, a.target);
    case "disconnect":
      return need(d.disconnect, "disconnect").call(d, a.target);
    case "reconnect":
      return need(d.reconnect, "reconnect").call(d, a.target);
    case "squeeze":
      return need(d.squeeze, "squeeze").call(d, a.target, a.limits);
    case "impair":
      return need(d.impairLink, "impair links").call(d, a.target, a.impairment);
    case "proxy-latency":
      return need(d.proxyLatency, "add latency in a link proxy").call(d, a.latency);
  }
}

async function snapshot(outputs: StackOutputs, d: ChaosDriver): Promise<Partial<Record<Role, boolean[]>>> {
  const s: Partial<Record<Role, boolean[]>> = {};
  for (const r of rolesOf(outputs)) s[r] = await d.running(r);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runExperiment(e: Experiment, o: RunOptions): Promise<ExperimentJournal> {
  const say = o.progress ?? (() => undefined);
  let startedAt = Date.now();
  const j: ExperimentJournal = {
    name: e.name,
    title: e.title,
    definition: e,
    status: "failed",
    reasons: [],
    startedAt,
    endedAt: startedAt,
    steps: [],
    probes: [],
    alerts: [],
    requests: [],
    gates: [],
  };
  const pre = checkPreconditions(
    e,
    roleCounts(o.outputs, o.driver),
    await driverCapabilities(o.driver),
    o.outputs,
  );
  if (!pre.ok) {
    j.reasons.push(...pre.problems.map((p) => `precondition failed: ${p}`));
    j.endedAt = Date.now();
    return j;
  }
  // Expected alerts resolved first (e.g. still firing from the load tests or the previous experiment),
  // so that an activation seen after the fault is this fault's. Before the load starts: the wait adds no
  // traffic and does not stretch the baseline window. A bound reached fails the experiment (reasons) and
  // its detected-within gate, and the run goes on for the other gates.
  const expected = (e.detects ?? []).map((d) => d.alert);
  if (expected.length && o.outputs.prometheusUrl) {
    j.resolveWait = await waitAlertsResolved(o.outputs.prometheusUrl, expected, {
      maxMs: o.resolveWaitMaxMs,
      progress: (line) => say(`${e.name}: ${line}`),
    });
    if (!j.resolveWait.resolved) j.reasons.push(unresolvedMessage(j.resolveWait));
    startedAt = Date.now();
    j.startedAt = startedAt;
  }
  j.stateBefore = await snapshot(o.outputs, o.driver);
  const runId = `${e.name}-${crypto.randomBytes(4).toString("hex")}`;
  const observer = startObserver(o.outputs, o.driver);
  // Throttling, event-loop delay and GC of every instance on the experiment's time axis, beside p99.
  const sampler = new ResourceSampler(o.outputs, 1000, o.driver);
  sampler.start();
  // The load's tenant ("chaos") sends its bearer token when the stack requires tenant tokens.
  const token = o.outputs.tenantTokens?.[CHAOS_TENANT];
  const load = startLoad({
    gatewayUrl: o.outputs.gatewayUrl,
    tenant: CHAOS_TENANT,
    token,
    runId,
    syncRps: e.load.syncRps,
    durableRps: e.load.durableRps,
  });
  const count = (p: Path) => load.records.filter((r) => r.path === p);
  const status = (phase: string) => {
    const bad = load.records.filter((r) => r.outcome !== "ok").length;
    say(
      `${e.name}: ${phase} · ${load.records.length} requests, ${bad} failed/unknown · alerts ${observer.alerts.size}`,
    );
  };
  let phaseName = "baseline";
  const ticker = setInterval(() => status(phaseName), 1000);
  let faultStart: number | undefined;
  let faultEnd: number | undefined;
  const endIdx = faultEndIndex(e);
  const runStep = async (s: Step, phase: StepRecord["phase"]) => {
    const rec: StepRecord = {
      phase,
      label: s.label,
      action: describe(s.action),
      startedAt: Date.now(),
      endedAt: 0,
    };
    j.steps.push(rec);
    try {
      await perform(o.driver, s.action, o.outputs, { faultStart });
    } catch (err) {
      rec.error = (err as Error).message;
    }
    rec.endedAt = Date.now();
    return rec;
  };
  try {
    // Bounded: an unreachable Prometheus must not stall the experiment (detections are then unmeasured).
    await Promise.race([observer.alertsKnown, sleep(10000)]);
    await sleep(e.baselineMs);
    observer.markPreexisting();
    phaseName = "fault";
    for (let i = 0; i < e.method.length; i++) {
      const s = e.method[i];
      if (faultStart === undefined && !isWaitAction(s.action)) faultStart = Date.now();
      phaseName = `fault: ${s.label}`;
      const rec = await runStep(s, "method");
      if (rec.error) {
        j.reasons.push(`method step "${s.label}" failed: ${rec.error}`);
        break;
      }
      if (i === endIdx) faultEnd = rec.endedAt;
    }
  } finally {
    phaseName = "rollback";
    for (const s of e.rollbacks) await runStep(s, "rollback");
  }
  faultEnd ??= Date.now();
  faultStart ??= faultEnd;
  phaseName = "observe";
  await sleep(Math.max(0, faultEnd + e.observeMs - Date.now()));
  const observedEnd = Date.now();
  phaseName = "stopping load";
  await load.stop();
  clearInterval(ticker);
  await observer.stop();
  j.observedEnd = observedEnd;
  j.requests = load.records.sort((a, b) => a.intendedAt - b.intendedAt);
  j.resources = analyzeResources(await sampler.stop(), startedAt);
  j.resourceSource = sampler.source;
  j.tail = tailCause(
    perSecond(j.requests, startedAt, observedEnd).map((b, i) => [i, b.p99 ?? NaN] as const),
    j.resources,
    { ...DEFAULT_TAIL_RULE, thresholdMs: decideLatencyThresholdMs() },
  );
  j.probes = observer.probes;
  j.alerts = [...observer.alerts.values()];

  say(`${e.name}: draining the durable ledger`);
  const attempts: DurableAttempt[] = count("durable").map((r) => ({
    messageId: r.messageId!,
    outcome: r.outcome,
    status: r.status,
    streamSeq: r.streamSeq,
    duplicate: r.duplicate,
    error: r.error,
    attempt: 1,
  }));
  const dr = await drain(attempts, {
    gatewayUrl: o.outputs.gatewayUrl,
    tenant: CHAOS_TENANT,
    token,
    timeLimitMs: o.drainTimeLimitMs ?? 60000,
  });
  j.drain = { ms: dr.ms, caughtUp: dr.caughtUp };
  j.ledger = reconcile(attempts, dr.finals);

  j.stateAfter = await snapshot(o.outputs, o.driver);
  j.measures = computeMeasures(e, j.requests, j.alerts, startedAt, faultStart, faultEnd, observedEnd);
  const rollbackErrors = j.steps
    .filter((s) => s.phase === "rollback" && s.error)
    .map((s) => `${s.label}: ${s.error}`);
  j.gates = evaluateGates(e.gates, {
    measures: j.measures,
    ledger: j.ledger,
    stateBefore: j.stateBefore,
    stateAfter: j.stateAfter,
    rollbackErrors,
    alerts: j.alerts,
    resolveWait: j.resolveWait,
  });
  j.status = j.reasons.length === 0 && j.gates.every((g) => g.pass) ? "passed" : "failed";
  j.endedAt = Date.now();
  if (j.tail.verdict) say(`${e.name}: tail: ${j.tail.verdict}`);
  say(`${e.name}: ${j.status}`);
  return j;
}

/** All measures from the request log and alert observations (pure). */
export function computeMeasures(
  e: Experiment,
  requests: RequestRecord[],
  alerts: ExperimentJournal["alerts"],
  startedAt: number,
  faultStart: number,
  faultEnd: number,
  observedEnd: number,
): Measures {
  const paths: Path[] = ["sync", "durable"];
  const of = (p: Path) => requests.filter((r) => r.path === p);
  const baselineP99 = {} as Measures["baselineP99Ms"];
  const ttr = {} as Measures["timeToRecoverByPath"];
  const first = {} as Measures["firstSuccessAfterFaultMs"];
  for (const p of paths) {
    baselineP99[p] = p99Ok(inWindow(of(p), startedAt, faultStart));
    ttr[p] =
      baselineP99[p] === undefined
        ? undefined
        : timeToRecover(of(p), faultEnd, observedEnd, baselineP99[p]!, e.hypothesis);
    first[p] = firstSuccessAfter(of(p), faultEnd, p);
  }
  const both = paths.map((p) => ttr[p]);
  const observed = inWindow(requests, startedAt, observedEnd);
  const faultLatency = {
    sync: latencyShift(requests, "sync", startedAt, faultStart, faultEnd),
    durable: latencyShift(requests, "durable", startedAt, faultStart, faultEnd),
  };
  return {
    baselineP99Ms: baselineP99,
    faultStart,
    faultEnd,
    timeToRecoverMs: both.some((t) => t === undefined) ? undefined : Math.max(...(both as number[])),
    timeToRecoverByPath: ttr,
    firstSuccessAfterFaultMs: first,
    errorWindowMs: errorWindow(requests, faultStart).ms,
    blastRadius: blastRadius(observed),
    timeToDetectMs: timeToDetect(alerts, faultStart),
    faultLatency,
  };
}
