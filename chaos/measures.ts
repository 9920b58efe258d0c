// Measures per experiment, computed from the request log (pure): time to recover, first success after the
// fault, error window, blast radius, time to detect per alert instance, and the per-second series the
// timeline draws. Latency is measured from the *intended* send time (open model), so a stalled client loop
// cannot hide a stall of the system under test (coordinated omission).
import type { Outcome } from "./ledger";
import type { SteadyState } from "./model";

export type Path = "sync" | "durable";

export interface RequestRecord {
  path: Path;
  intendedAt: number;
  sentAt: number;
  doneAt: number;
  status?: number;
  outcome: Outcome;
  error?: string;
  messageId?: string;
  streamSeq?: number;
  duplicate?: boolean;
}

export function latencyMs(r: RequestRecord): number {
  return r.doneAt - r.intendedAt;
}

/** Nearest-rank percentile; undefined for an empty list. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function inWindow(records: RequestRecord[], from: number, to: number): RequestRecord[] {
  return records.filter((r) => r.intendedAt >= from && r.intendedAt < to);
}

/** p99 of successful requests (a failed request's latency says nothing about service latency). */
export function p99Ok(records: RequestRecord[]): number | undefined {
  return percentile(records.filter((r) => r.outcome === "ok").map(latencyMs), 99);
}

export function successRate(records: RequestRecord[]): number | undefined {
  if (records.length === 0) return undefined;
  return records.filter((r) => r.outcome === "ok").length / records.length;
}

/** Indexes of the 1 s buckets (counted from `start`) whose p99 of successful requests is above `bound`. */
export function slowSeconds(win: RequestRecord[], start: number, bound: number): number[] {
  const buckets = new Map<number, RequestRecord[]>();
  for (const r of win) {
    const i = Math.floor((r.intendedAt - start) / 1000);
    buckets.set(i, [...(buckets.get(i) ?? []), r]);
  }
  return [...buckets]
    .filter(([, rs]) => (p99Ok(rs) ?? 0) > bound)
    .map(([i]) => i)
    .sort((a, b) => a - b);
}

/**
 * Whether a hold window starting at `start` shows steady state: success rate at or above the SLO, and p99
 * within `bound` over the window, or else over every 1 s bucket but one that is not the first. A single
 * slow second after a recovery (a machine-level stall on a busy 2-core host, seen in CI as both paths
 * pausing at once, 9 s after NATS came back) does not undo the recovery; two slow seconds do, and so does
 * a slow first second (the system may still be recovering then).
 */
function steadyWindow(win: RequestRecord[], start: number, bound: number, ss: SteadyState): boolean {
  if (successRate(win)! < ss.successRate) return false;
  const p99 = p99Ok(win);
  if (p99 === undefined) return false;
  if (p99 <= bound) return true;
  const slow = slowSeconds(win, start, bound);
  return slow.length === 1 && slow[0] !== 0;
}

/**
 * Milliseconds from `faultEnd` to the first moment t from which, for `ss.holdMs`, the success rate stays
 * at or above the SLO and p99 stays within `p99Factor × baseline + p99SlackMs` (one isolated slow second
 * tolerated: see steadyWindow). Undefined when no such window is fully observed before `observedEnd` (not
 * recovered, or not observed long enough).
 */
export function timeToRecover(
  records: RequestRecord[],
  faultEnd: number,
  observedEnd: number,
  baselineP99: number,
  ss: SteadyState,
): number | undefined {
  const after = records.filter((r) => r.intendedAt >= faultEnd).sort((a, b) => a.intendedAt - b.intendedAt);
  const bound = baselineP99 * ss.p99Factor + ss.p99SlackMs;
  const candidates = [faultEnd, ...after.map((r) => r.intendedAt)];
  let j = 0;
  for (let i = 0; i < candidates.length; i++) {
    const t = candidates[i];
    if (t + ss.holdMs > observedEnd) return undefined;
    while (j < after.length && after[j].intendedAt < t) j++;
    const win: RequestRecord[] = [];
    for (let k = j; k < after.length && after[k].intendedAt < t + ss.holdMs; k++) win.push(after[k]);
    if (win.length > 0 && steadyWindow(win, t, bound, ss)) return t - faultEnd;
  }
  return undefined;
}

/** Milliseconds from `t` to the first successful answer on `path` that completed at or after `t`. */
export function firstSuccessAfter(records: RequestRecord[], t: number, path: Path): number | undefined {
  let best: number | undefined;
  for (const r of records) {
    if (r.path === path && r.outcome === "ok" && r.doneAt >= t && (best === undefined || r.doneAt < best))
      best = r.doneAt;
  }
  return best === undefined ? undefined : best - t;
}

/** From the first to the last failed/unknown request at or after `from` (by intended time, to its end). */
export function errorWindow(
  records: RequestRecord[],
  from: number,
  to = Infinity,
): { start?: number; end?: number; ms: number } {
  const bad = records.filter((r) => r.outcome !== "ok" && r.intendedAt >= from && r.intendedAt < to);
  if (bad.length === 0) return { ms: 0 };
  const start = Math.min(...bad.map((r) => r.intendedAt));
  const end = Math.max(...bad.map((r) => r.doneAt));
  return { start, end, ms: end - start };
}

/** Share of requests that failed or had an unknown outcome. */
export function blastRadius(records: RequestRecord[]): {
  failed: number;
  unknown: number;
  total: number;
  share: number;
} {
  const failed = records.filter((r) => r.outcome === "fail").length;
  const unknown = records.filter((r) => r.outcome === "unknown").length;
  const total = records.length;
  return { failed, unknown, total, share: total === 0 ? 0 : (failed + unknown) / total };
}

export interface AlertObservation {
  /** The alert's name (label `alertname`). */
  name: string;
  /**
   * Every label of the instance but `alertname` (rule labels such as severity included): one alert rule
   * yields one instance per label set, e.g. one NatsUnreachable per NATS node. Absent in old journals.
   */
  labels?: Record<string, string>;
  /**
   * Prometheus's `activeAt` (ms epoch): the instance's own transition from inactive to pending, as
   * /api/v1/alerts reports it. A new value means the instance resolved and became active again.
   */
  activeAt?: number;
  /** First poll (ms epoch) that saw this activation `firing`. */
  firstFiringAt?: number;
  /** Already pending or firing before the fault started (not a detection of this fault). */
  preexisting: boolean;
}

/**
 * Key of one alert instance, also its display form: `NatsUnreachable{instance="nats-1:8222",job="…"}`
 * (labels sorted), the bare name when it has no other label.
 */
export function alertKey(a: { name: string; labels?: Record<string, string> }): string {
  const ls = Object.entries(a.labels ?? {})
    .filter(([k]) => k !== "alertname")
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return ls.length ? `${a.name}{${ls.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}` : a.name;
}

/** The alert name of an instance key (`NatsUnreachable{…}` → `NatsUnreachable`). */
export function alertNameOfKey(key: string): string {
  const i = key.indexOf("{");
  return i < 0 ? key : key.slice(0, i);
}

/**
 * Whether an instance counts as a detection of a fault that started at `faultStart`: it fired, and its
 * own transition to pending (`activeAt`) is at or after the fault start. An instance that was already
 * pending or firing before the fault never counts; another instance of the same alert (another label
 * set) that became active after it does. Without `activeAt` (old journals), the first firing poll after
 * the fault start of an instance not pre-existing.
 */
export function isDetection(a: AlertObservation, faultStart: number): boolean {
  if (a.firstFiringAt === undefined) return false;
  if (a.activeAt !== undefined) return a.activeAt >= faultStart;
  return !a.preexisting && a.firstFiringAt >= faultStart;
}

/**
 * Time to detect per alert instance (display key, see alertKey): first poll that saw it firing minus the
 * fault start, for instances whose own transition came after the fault started (isDetection).
 */
export function timeToDetect(alerts: AlertObservation[], faultStart: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of alerts) {
    if (!isDetection(a, faultStart)) continue;
    const k = alertKey(a);
    const t = Math.max(0, a.firstFiringAt! - faultStart);
    if (out[k] === undefined || t < out[k]) out[k] = t;
  }
  return out;
}

export interface SecondBucket {
  t: number;
  ok: Record<Path, number>;
  fail: Record<Path, number>;
  unknown: Record<Path, number>;
  p99?: number;
}

/** Per-second outcome counts and p99 (by intended time), for the timeline and SLO burn. */
export function perSecond(records: RequestRecord[], from: number, to: number): SecondBucket[] {
  const n = Math.max(0, Math.ceil((to - from) / 1000));
  const zero = () => ({ sync: 0, durable: 0 });
  const buckets: SecondBucket[] = Array.from({ length: n }, (_, i) => ({
    t: from + i * 1000,
    ok: zero(),
    fail: zero(),
    unknown: zero(),
  }));
  const lat: number[][] = Array.from({ length: n }, () => []);
  for (const r of records) {
    const i = Math.floor((r.intendedAt - from) / 1000);
    if (i < 0 || i >= n) continue;
    buckets[i][r.outcome][r.path]++;
    if (r.outcome === "ok") lat[i].push(latencyMs(r));
  }
  buckets.forEach((b, i) => (b.p99 = percentile(lat[i], 99)));
  return buckets;
}

/**
 * SLO burn rate per bucket: error share divided by the error budget (1 - SLO). 1 = burning exactly the
 * budget; 14.4 is the classic fast-burn page threshold.
 */
export function burnRate(b: SecondBucket, slo: number): number {
  const bad = b.fail.sync + b.fail.durable + b.unknown.sync + b.unknown.durable;
  const total = bad + b.ok.sync + b.ok.durable;
  return total === 0 ? 0 : bad / total / (1 - slo);
}

/** Latency and outcomes of one path in the baseline and during the fault (successful requests only for latency). */
export interface LatencyShift {
  baseline: { ok: number; medianMs?: number; p99Ms?: number };
  fault: { ok: number; failed: number; unknown: number; medianMs?: number; p99Ms?: number };
}

/**
 * The path's requests intended in the baseline [startedAt, faultStart) and during the fault
 * [faultStart, faultEnd): median and p99 of the successful ones, and the failed/unknown count during the
 * fault. What the latency-as-latency gate judges.
 */
export function latencyShift(
  records: RequestRecord[],
  path: Path,
  startedAt: number,
  faultStart: number,
  faultEnd: number,
): LatencyShift {
  const of = records.filter((r) => r.path === path);
  const okLat = (rs: RequestRecord[]) => rs.filter((r) => r.outcome === "ok").map(latencyMs);
  const base = okLat(inWindow(of, startedAt, faultStart));
  const during = inWindow(of, faultStart, faultEnd);
  const fault = okLat(during);
  return {
    baseline: { ok: base.length, medianMs: percentile(base, 50), p99Ms: percentile(base, 99) },
    fault: {
      ok: fault.length,
      failed: during.filter((r) => r.outcome === "fail").length,
      unknown: during.filter((r) => r.outcome === "unknown").length,
      medianMs: percentile(fault, 50),
      p99Ms: percentile(fault, 99),
    },
  };
}

/**
 * "Latency shows as latency, not as errors or loss": no failed or unknown request during the fault, and
 * the fault's median at least `minAddedMs` above the baseline median (the median, not p99: a few slow
 * baseline requests on a busy host must not hide the added latency, nor a few fast ones sent just before
 * the fault took effect fake it).
 */
export function latencyAsLatency(s: LatencyShift, minAddedMs: number): { pass: boolean; detail: string } {
  const ms = (v: number | undefined) => (v === undefined ? "none" : `${Math.round(v)} ms`);
  const nums = `baseline median ${ms(s.baseline.medianMs)} / p99 ${ms(s.baseline.p99Ms)} (${s.baseline.ok} ok); during the fault median ${ms(s.fault.medianMs)} / p99 ${ms(s.fault.p99Ms)} (${s.fault.ok} ok, ${s.fault.failed} failed, ${s.fault.unknown} unknown)`;
  const problems: string[] = [];
  if (s.fault.failed + s.fault.unknown > 0)
    problems.push(`${s.fault.failed + s.fault.unknown} request(s) failed or unknown during the fault`);
  if (s.baseline.medianMs === undefined) problems.push("no successful baseline request");
  if (s.fault.medianMs === undefined) problems.push("no successful request during the fault");
  const added =
    s.baseline.medianMs === undefined || s.fault.medianMs === undefined
      ? undefined
      : s.fault.medianMs - s.baseline.medianMs;
  if (added !== undefined && added < minAddedMs)
    problems.push(`median rose by ${Math.round(added)} ms, less than ${minAddedMs} ms`);
  return {
    pass: problems.length === 0,
    detail: `${problems.length ? `${problems.join("; ")}: ` : `median +${Math.round(added!)} ms (at least ${minAddedMs} ms), no error: `}${nums}`,
  };
}
