// Experiments as data (Chaos Toolkit shape): a steady-state hypothesis, a method of fault steps, rollbacks
// that always run, the faults the system claims to survive and the gates that decide pass/fail. Everything
// here is pure: validation and precondition checks take plain values so they are unit-tested directly.
import type { Role } from "../stacks/outputs";
import type {
  DriverCapability,
  InstanceRef,
  LinkImpairment,
  LinkLatency,
  ResourceLimits,
} from "../tooling/drivers/types";

export type Action =
  | { kind: "kill"; target: InstanceRef; signal?: NodeJS.Signals }
  | { kind: "start"; target: InstanceRef }
  | { kind: "restart"; target: InstanceRef }
  | { kind: "recreate"; target: InstanceRef }
  | { kind: "pause"; target: InstanceRef }
  | { kind: "unpause"; target: InstanceRef }
  | { kind: "disconnect"; target: InstanceRef }
  | { kind: "reconnect"; target: InstanceRef }
  /** `limits` undefined restores the declared limits. */
  | { kind: "squeeze"; target: InstanceRef; limits?: ResourceLimits }
  /** `impairment` undefined removes it. */
  | { kind: "impair"; target: InstanceRef; impairment?: LinkImpairment }
  /**
   * Latency on every router ↔ NATS link, added in the stack's link proxy (Toxiproxy, both directions);
   * `latency` undefined removes it.
   */
  | { kind: "proxy-latency"; latency?: LinkLatency }
  /** Wait until the instance answers its health check (e.g. "NATS is back" = /healthz ok). */
  | { kind: "await-healthy"; target: InstanceRef; timeoutMs?: number }
  /** Hold the current state (fault in place) for a while. */
  | { kind: "wait"; ms: number }
  /**
   * Hold the fault until Prometheus fires `alert` for it: an instance firing whose own transition to
   * pending (`activeAt`) is at or after the fault start. Throws after `timeoutMs` (default 180 s).
   * Driver-independent; like `wait`, not a fault itself.
   */
  | { kind: "await-alert"; alert: string; timeoutMs?: number };

/** Steps that only wait (not a fault): the fault starts at the first other method step. */
export function isWaitAction(a: Action): boolean {
  return a.kind === "wait" || a.kind === "await-healthy" || a.kind === "await-alert";
}

export interface Step {
  label: string;
  action: Action;
  /**
   * Marks the step after which the fault counts as over (e.g. "NATS is back"): recovery and the
   * first-success bound are measured from the end of this step. Default: the last method step.
   */
  endsFault?: boolean;
}

export interface SteadyState {
  /** Share of requests that must succeed, per path, in steady state (e.g. 0.99). */
  successRate: number;
  /** p99 must stay within this factor of the baseline p99 (1.2 = within 20 %). */
  p99Factor: number;
  /** Absolute slack added to the p99 bound, so a 2 ms baseline does not turn 1 ms of noise into a failure. */
  p99SlackMs: number;
  /** How long success and p99 must hold for the system to count as recovered. */
  holdMs: number;
}

export type Gate =
  /** No 202-accepted message lost, no message decided that was definitely rejected. */
  | { kind: "zero-loss" }
  /** Time to recover (both paths) at most `ms` after the fault ended. */
  | { kind: "recovery-within"; ms: number }
  /** First successful request on `path` at most `ms` after the fault ended (e.g. NATS back → gateway serves). */
  | { kind: "first-success-within"; ms: number; path: "sync" | "durable" }
  /** Every instance of every role runs at the end (no crashed service left behind). */
  | { kind: "no-crashed-service" }
  /** After rollbacks, the stack matches what it was before the experiment (instances, limits, links). */
  | { kind: "declared-state" }
  /** At most this share of all requests failed or had an unknown outcome. */
  | { kind: "blast-radius-at-most"; share: number }
  /**
   * Latency shows as latency: no failed or unknown request on `path` during the fault, and the median of
   * its successful requests during the fault at least `minAddedMs` above the baseline median.
   */
  | { kind: "latency-as-latency"; path: "sync" | "durable"; minAddedMs: number }
  /**
   * An instance of `alert` went firing for this fault (its own transition at or after the fault start)
   * at most `ms` after the fault start. The alert must be listed in `detects`.
   */
  | { kind: "detected-within"; alert: string; ms: number };

export interface Experiment {
  name: string;
  title: string;
  /** What a pass proves. */
  proves: string;
  /** What it does not prove (documented, never claimed). */
  doesNotProve: string[];
  /** Faults the system claims to survive in this experiment. */
  survives: string[];
  /** Minimum instances per role; an explicit run on a smaller stack fails its precondition. */
  needs: Partial<Record<Role, number>>;
  hypothesis: SteadyState;
  load: { syncRps: number; durableRps: number };
  /** Steady load before the first fault (the p99 baseline). */
  baselineMs: number;
  /** Observation after the fault ended: must cover recovery plus the hold window. */
  observeMs: number;
  method: Step[];
  /** Always run, in order, even when a method step threw. Undo every fault the method can leave. */
  rollbacks: Step[];
  gates: Gate[];
  /**
   * Alerts the fault is expected to fire, each within `withinMs` of the fault start. Before the baseline
   * the runner waits until no instance of them is pending or firing, so a detection is this fault's;
   * the experiment needs Prometheus (`prometheusUrl` in the outputs).
   */
  detects?: { alert: string; withinMs: number }[];
}

export const DEFAULT_STEADY_STATE: SteadyState = {
  successRate: 0.99,
  p99Factor: 1.2,
  p99SlackMs: 25,
  holdMs: 10000,
};

/** Capability a step needs from the driver, if any. */
export function capabilityFor(a: Action): DriverCapability | undefined {
  switch (a.kind) {
    case "disconnect":
    case "reconnect":
      return "partition";
    case "squeeze":
      return "squeeze";
    case "recreate":
      return "recreate";
    case "impair":
      if (!a.impairment) return undefined;
      return a.impairment.delayMs ? "link-delay" : "link-loss";
    case "proxy-latency":
      // Removing it needs the proxy too: a stack without one has nothing to remove it from.
      return "link-proxy";
    default:
      return undefined;
  }
}

/** Structural problems of an experiment definition (empty = valid). */
export function validateExperiment(e: Experiment): string[] {
  const p: string[] = [];
  const where = `experiment ${JSON.stringify(e.name)}`;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(e.name)) p.push(`${where}: name must be kebab-case`);
  if (!e.proves) p.push(`${where}: proves is empty`);
  if (e.survives.length === 0) p.push(`${where}: survives lists no fault`);
  if (e.method.length === 0) p.push(`${where}: method has no step`);
  if (e.gates.length === 0) p.push(`${where}: no gates`);
  const h = e.hypothesis;
  if (!(h.successRate > 0 && h.successRate <= 1))
    p.push(`${where}: hypothesis.successRate must be in (0, 1]`);
  if (!(h.p99Factor >= 1)) p.push(`${where}: hypothesis.p99Factor must be >= 1`);
  if (e.load.syncRps <= 0 || e.load.durableRps <= 0) p.push(`${where}: load must drive both paths (rps > 0)`);
  if (e.baselineMs < 1000) p.push(`${where}: baselineMs must be >= 1000`);
  if (e.observeMs < h.holdMs) p.push(`${where}: observeMs (${e.observeMs}) must cover holdMs (${h.holdMs})`);
  if (e.method.filter((s) => s.endsFault).length > 1) p.push(`${where}: more than one step marks endsFault`);
  // Detection: every alert awaited or gated on is an expected one (so it is resolved before the baseline).
  const expected = new Set((e.detects ?? []).map((d) => d.alert));
  for (const d of e.detects ?? [])
    if (!(d.withinMs > 0)) p.push(`${where}: detects ${d.alert} within ${d.withinMs} ms`);
  for (const g of e.gates)
    if (g.kind === "detected-within" && !expected.has(g.alert))
      p.push(`${where}: gate detected-within ${g.alert} is not listed in detects`);
  const firstFault = e.method.findIndex((s) => !isWaitAction(s.action));
  e.method.forEach((s, i) => {
    if (s.action.kind !== "await-alert") return;
    if (!expected.has(s.action.alert))
      p.push(`${where}: step ${JSON.stringify(s.label)} awaits ${s.action.alert}, not listed in detects`);
    if (firstFault < 0 || i < firstFault)
      p.push(`${where}: step ${JSON.stringify(s.label)} awaits an alert before any fault step`);
  });
  if (e.rollbacks.some((s) => s.action.kind === "await-alert"))
    p.push(`${where}: a rollback awaits an alert (only method steps can)`);
  for (const s of [...e.method, ...e.rollbacks]) {
    if (s.action.kind === "wait" && !(s.action.ms > 0))
      p.push(`${where}: step ${JSON.stringify(s.label)} waits ${s.action.ms} ms`);
    if ("target" in s.action) {
      const need = e.needs[s.action.target.role];
      if (need === undefined)
        p.push(`${where}: step ${JSON.stringify(s.label)} targets ${s.action.target.role}, not in needs`);
      else if (s.action.target.index !== undefined && s.action.target.index >= need) {
        p.push(
          `${where}: step ${JSON.stringify(s.label)} targets index ${s.action.target.index} but needs only ${need}`,
        );
      }
    }
  }
  // Every fault the method can leave in place must have an undo in the rollbacks.
  const undo: Record<string, string> = {
    kill: "start",
    pause: "unpause",
    disconnect: "reconnect",
    squeeze: "squeeze",
    impair: "impair",
  };
  for (const s of e.method) {
    if (s.action.kind === "proxy-latency" && s.action.latency) {
      if (!(s.action.latency.latencyMs > 0))
        p.push(`${where}: step ${JSON.stringify(s.label)} adds ${s.action.latency.latencyMs} ms of latency`);
      if (!e.rollbacks.some((r) => r.action.kind === "proxy-latency" && !r.action.latency))
        p.push(
          `${where}: step ${JSON.stringify(s.label)} (proxy-latency) has no proxy-latency removal rollback`,
        );
    }
    const u = undo[s.action.kind];
    if (!u || !("target" in s.action)) continue;
    const role = s.action.target.role;
    if (
      !e.rollbacks.some((r) => r.action.kind === u && "target" in r.action && r.action.target.role === role)
    ) {
      p.push(`${where}: step ${JSON.stringify(s.label)} (${s.action.kind} ${role}) has no ${u} rollback`);
    }
  }
  return p;
}

export interface Precondition {
  ok: boolean;
  problems: string[];
}

/** Alerts an experiment expects, awaits or gates on: it cannot run without Prometheus. */
export function alertsNeeded(e: Experiment): string[] {
  const names = [
    ...(e.detects ?? []).map((d) => d.alert),
    ...e.method.flatMap((s) => (s.action.kind === "await-alert" ? [s.action.alert] : [])),
    ...e.gates.flatMap((g) => (g.kind === "detected-within" ? [g.alert] : [])),
  ];
  return [...new Set(names)];
}

/**
 * Whether the stack (instance counts, a Prometheus for expected alerts) and the driver (capabilities) can
 * run the experiment.
 */
export function checkPreconditions(
  e: Experiment,
  counts: Partial<Record<Role, number>>,
  caps: Set<DriverCapability>,
  stack: { prometheusUrl?: string },
): Precondition {
  const problems: string[] = [];
  const alerts = alertsNeeded(e);
  if (alerts.length && !stack.prometheusUrl)
    problems.push(
      `expects alert(s) ${alerts.join(", ")} but the stack outputs have no prometheusUrl (no Prometheus to measure detection): not applicable`,
    );
  for (const [role, n] of Object.entries(e.needs) as [Role, number][]) {
    const have = counts[role] ?? 0;
    if (have < n) problems.push(`needs ${n} ${role} instance(s), the stack has ${have}: not applicable`);
  }
  for (const s of [...e.method, ...e.rollbacks]) {
    const c = capabilityFor(s.action);
    if (c && !caps.has(c))
      problems.push(`step ${JSON.stringify(s.label)} needs driver capability "${c}", which it lacks`);
  }
  return { ok: problems.length === 0, problems: [...new Set(problems)] };
}

/** Index of the step after which the fault counts as over. */
export function faultEndIndex(e: Experiment): number {
  const i = e.method.findIndex((s) => s.endsFault);
  return i >= 0 ? i : e.method.length - 1;
}
