// Background observers while an experiment runs: steady-state probes every second (gateway /health and
// /ready, every role's instances running) and Prometheus alerts per alert instance (alertname + labels):
// Prometheus's own `activeAt` (the transition to pending) and the first poll that saw it firing. Also the
// two waits on Prometheus the runner makes: expected alerts resolved before the baseline, and an alert
// firing after the fault (the `await-alert` step).
import type { Role, StackOutputs } from "../stacks/outputs";
import type { ChaosDriver } from "../tooling/drivers/types";
import { alertKey, type AlertObservation } from "./measures";

/** One entry of Prometheus's GET /api/v1/alerts (`data.alerts`): only pending and firing ones are listed. */
export interface PromAlert {
  labels: Record<string, string>;
  state: string;
  /** RFC 3339: when this instance went from inactive to pending. */
  activeAt?: string;
}

/** GET /api/v1/alerts; throws when Prometheus does not answer or answers something else. */
export async function fetchAlerts(prometheusUrl: string, timeoutMs = 900): Promise<PromAlert[]> {
  const res = await fetch(`${prometheusUrl.replace(/\/$/, "")}/api/v1/alerts`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await res.json()) as { status?: string; data?: { alerts?: PromAlert[] } };
  if (!res.ok || !Array.isArray(body.data?.alerts))
    throw new Error(`Prometheus /api/v1/alerts answered ${res.status} without data.alerts`);
  return body.data!.alerts!;
}

/** `activeAt` as ms epoch; undefined when absent or Go's zero time (never active). */
export function parseActiveAt(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && t > 0 ? t : undefined;
}

/** 180 s, 0.2 s. */
const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

const isActive = (a: PromAlert) => a.state === "pending" || a.state === "firing";
const nameOf = (a: PromAlert) => a.labels.alertname ?? "unnamed";
const keyOf = (a: PromAlert) => alertKey({ name: nameOf(a), labels: a.labels });

/** Instance keys of the named alerts that are pending or firing in one poll. */
export function activeInstances(polled: PromAlert[], names: string[]): string[] {
  return polled.filter((a) => isActive(a) && names.includes(nameOf(a))).map(keyOf);
}

/**
 * An instance of `name` firing whose own transition to pending (`activeAt`) is at or after `since`; one
 * without `activeAt` cannot show it started after `since` and does not count.
 */
export function firingSince(polled: PromAlert[], name: string, since: number): PromAlert | undefined {
  return polled.find(
    (a) => a.state === "firing" && nameOf(a) === name && (parseActiveAt(a.activeAt) ?? -Infinity) >= since,
  );
}

/** Per-instance alert observations of an experiment, folded from successive polls (pure). */
export interface AlertTracker {
  alerts: Map<string, AlertObservation>;
  /** Instances seen active earlier that the last poll did not list (resolved). */
  inactive: Set<string>;
  /** When markPreexisting ran (right before the first fault). */
  markedAt?: number;
}

export function newAlertTracker(): AlertTracker {
  return { alerts: new Map(), inactive: new Set() };
}

/**
 * Folds one poll taken at `t` into the tracker. A new activation of an instance (another `activeAt`, or,
 * without `activeAt`, listed again after a poll that did not list it) starts its observation afresh:
 * e.g. an instance still firing from the previous experiment that resolved and fired again for this fault.
 * Except when the current one already fired after the mark: the first firing for the fault is kept, so a
 * later flap (resolved, active again) does not move or erase the detection.
 */
export function applyAlertPoll(tr: AlertTracker, polled: PromAlert[], t: number): void {
  const seen = new Set<string>();
  for (const a of polled.filter(isActive)) {
    const key = keyOf(a);
    seen.add(key);
    const activeAt = parseActiveAt(a.activeAt);
    const firing = a.state === "firing";
    const o = tr.alerts.get(key);
    const { alertname: _, ...labels } = a.labels;
    if (!o) {
      tr.alerts.set(key, {
        name: nameOf(a),
        labels,
        activeAt,
        firstFiringAt: firing ? t : undefined,
        preexisting: false,
      });
    } else if (
      ((activeAt !== undefined && o.activeAt !== undefined && activeAt !== o.activeAt) ||
        (activeAt === undefined && tr.inactive.has(key))) &&
      !(
        tr.markedAt !== undefined &&
        !o.preexisting &&
        o.firstFiringAt !== undefined &&
        o.firstFiringAt >= tr.markedAt
      )
    ) {
      o.activeAt = activeAt;
      o.firstFiringAt = firing ? t : undefined;
      o.preexisting = false;
    } else {
      o.activeAt ??= activeAt;
      if (firing) o.firstFiringAt ??= t;
    }
    tr.inactive.delete(key);
  }
  for (const key of tr.alerts.keys()) if (!seen.has(key)) tr.inactive.add(key);
}

/** Marks the instances active (pending or firing) at the last poll as pre-existing. */
export function markPreexisting(tr: AlertTracker, at = Date.now()): void {
  tr.markedAt = at;
  for (const [key, a] of tr.alerts) if (!tr.inactive.has(key)) a.preexisting = true;
}

/** How the runner waited for an experiment's expected alerts to resolve before its baseline. */
export interface ResolveWait {
  /** The expected alert names (Experiment.detects). */
  alerts: string[];
  waitedMs: number;
  /** No instance of any of them pending or firing at the end of the wait. */
  resolved: boolean;
  /** Instance keys still pending or firing when the bound was reached. */
  stillActive: string[];
  /** Prometheus did not answer the last poll. */
  error?: string;
  maxMs: number;
}

/** Default bound of the resolve wait: a `for: 60s` alert resolves within a scrape + evaluation or two. */
export const RESOLVE_WAIT_MAX_MS = 240000;

/**
 * Polls Prometheus until no instance of the named alerts is pending or firing, at most `maxMs`; the
 * result says whether they resolved, how long it took and what was still active.
 */
export async function waitAlertsResolved(
  prometheusUrl: string,
  names: string[],
  o: { maxMs?: number; intervalMs?: number; progress?: (line: string) => void } = {},
): Promise<ResolveWait> {
  const maxMs = o.maxMs ?? RESOLVE_WAIT_MAX_MS;
  const t0 = Date.now();
  let stillActive: string[] = [];
  let error: string | undefined;
  for (;;) {
    try {
      stillActive = activeInstances(await fetchAlerts(prometheusUrl), names);
      error = undefined;
      if (stillActive.length === 0)
        return { alerts: names, waitedMs: Date.now() - t0, resolved: true, stillActive, maxMs };
    } catch (err) {
      error = `Prometheus did not answer: ${(err as Error).message}`;
    }
    const waited = Date.now() - t0;
    if (waited >= maxMs)
      return { alerts: names, waitedMs: waited, resolved: false, stillActive, error, maxMs };
    const which = stillActive.length ? [...new Set(stillActive.map((k) => k.split("{")[0]))] : names;
    o.progress?.(
      `waiting for ${which.join(", ")} to resolve before the baseline (${Math.round(waited / 1000)} s)`,
    );
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs ?? 1000, maxMs - waited)));
  }
}

/** The journal's and the gate's sentence for a resolve wait that reached its bound. */
export function unresolvedMessage(w: ResolveWait): string {
  const what = w.stillActive.length ? `still pending/firing: ${w.stillActive.join(", ")}` : (w.error ?? "");
  return `expected alert(s) ${w.alerts.join(", ")} not resolved after waiting ${seconds(w.waitedMs)} before the baseline (${what}): a detection could not be told from the earlier activation`;
}

/**
 * The `await-alert` step: polls Prometheus until an instance of `alert` fires whose own transition
 * (`activeAt`) is at or after `since` (the fault start); throws after `timeoutMs` naming the alert, the
 * wait and what the last poll saw.
 */
export async function awaitAlert(
  prometheusUrl: string | undefined,
  alert: string,
  since: number,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<void> {
  if (!prometheusUrl) throw new Error(`cannot await alert ${alert}: the stack outputs have no prometheusUrl`);
  const t0 = Date.now();
  let last = "no poll answered";
  for (;;) {
    try {
      const polled = await fetchAlerts(prometheusUrl);
      if (firingSince(polled, alert, since)) return;
      const mine = polled.filter((a) => isActive(a) && nameOf(a) === alert);
      last = mine.length
        ? mine
            .map((a) => {
              const at = parseActiveAt(a.activeAt);
              const rel = at === undefined ? "?" : `${((at - since) / 1000).toFixed(1)} s`;
              return `${keyOf(a)} ${a.state}, active since ${rel} after the fault start`;
            })
            .join("; ")
        : `no instance of ${alert} pending or firing`;
    } catch (err) {
      last = `Prometheus did not answer: ${(err as Error).message}`;
    }
    const waited = Date.now() - t0;
    if (waited >= timeoutMs)
      throw new Error(
        `alert ${alert} did not fire for this fault within ${seconds(timeoutMs)} (waited ${seconds(waited)} after the step began, no instance firing with activeAt at or after the fault start; last poll: ${last})`,
      );
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, timeoutMs - waited)));
  }
}

export interface ProbeSample {
  t: number;
  health: boolean;
  ready: boolean;
  running: Partial<Record<Role, boolean[]>>;
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(900) });
    await res.arrayBuffer();
    return res.status < 400;
  } catch {
    return false;
  }
}

export interface Observer {
  probes: ProbeSample[];
  /** Per alert instance, keyed by alertKey (`NatsUnreachable{instance="…",…}`). */
  alerts: Map<string, AlertObservation>;
  /** Resolves after the first successful alert poll (at once without Prometheus), so alerts already
   * active are known before the first fault and not mistaken for detections. */
  alertsKnown: Promise<void>;
  /** Marks instances pending or firing at the last poll as pre-existing (call right before the first fault). */
  markPreexisting(): void;
  stop(): Promise<void>;
}

/** Roles the driver can see (the stack's chaos targets). */
export function rolesOf(outputs: StackOutputs): Role[] {
  return Object.keys(outputs.chaosTargets) as Role[];
}

export function startObserver(outputs: StackOutputs, driver: ChaosDriver, intervalMs = 1000): Observer {
  const probes: ProbeSample[] = [];
  const tracker = newAlertTracker();
  let stopped = false;
  const roles = rolesOf(outputs);

  const probeOnce = async () => {
    const t = Date.now();
    const [health, ready, ...states] = await Promise.all([
      ok(`${outputs.gatewayUrl}/health`),
      ok(`${outputs.gatewayUrl}/ready`),
      ...roles.map((r) => driver.running(r).catch(() => [] as boolean[])),
    ]);
    const running: Partial<Record<Role, boolean[]>> = {};
    roles.forEach((r, i) => (running[r] = states[i]));
    probes.push({ t, health, ready, running });
  };

  let known!: () => void;
  const alertsKnown = new Promise<void>((r) => (known = r));
  if (!outputs.prometheusUrl) known();
  const alertsOnce = async () => {
    if (!outputs.prometheusUrl) return;
    try {
      const polled = await fetchAlerts(outputs.prometheusUrl);
      applyAlertPoll(tracker, polled, Date.now());
      known();
    } catch {
      // Prometheus unreachable for a moment: the next poll tries again.
    }
  };

  const loop = async (fn: () => Promise<void>) => {
    while (!stopped) {
      const t0 = Date.now();
      await fn();
      const wait = intervalMs - (Date.now() - t0);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const loops = [loop(probeOnce), loop(alertsOnce)];
  return {
    probes,
    alerts: tracker.alerts,
    alertsKnown,
    markPreexisting: () => markPreexisting(tracker),
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
