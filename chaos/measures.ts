// Measures per experiment, computed from the request log (pure): time to recover, first success after the
// fault, error window, blast radius, time to detect per alert, and the per-second series the timeline
// draws. Latency is measured from the *intended* send time (open model), so a stalled client loop
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
  name: string;
  /** First time it was seen firing (ms epoch). */
  firstFiringAt?: number;
  /** Already firing before the fault started (not a detection of this fault). */
  preexisting: boolean;
}

/** Time to detect per alert that started firing after the fault began. */
export function timeToDetect(alerts: AlertObservation[], faultStart: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of alerts) {
    if (a.preexisting || a.firstFiringAt === undefined || a.firstFiringAt < faultStart) continue;
    out[a.name] = a.firstFiringAt - faultStart;
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
