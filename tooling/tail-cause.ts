// Why is the tail long? A pure rule that puts each window's p99 beside the likely causes measured on the
// same time axis (CFS throttling of an instance, its event-loop delay, its GC time) and names a cause only
// when the data support it. The method is written into every report (TAIL_METHOD) so a reader can check
// the verdict by hand from the tables.
import { SLOS } from "../monitoring/slo";
import type { InstanceTrend } from "./resources";
import { mean } from "./stats";

export type CauseKind = "throttling" | "event-loop delay" | "GC";

export interface CauseCandidate {
  instance: string;
  cause: CauseKind;
  /** Pearson correlation of window p99 with the cause over the aligned windows (null: too few, or flat). */
  r: number | null;
  /** Windows with both a p99 and a value of the cause. */
  pairs: number;
  /** Slow windows (p99 above the threshold) in which the cause was active. */
  slowActive: number;
}

export interface TailVerdict {
  thresholdMs: number;
  windows: number;
  slowWindows: number;
  candidates: CauseCandidate[];
  /** The verdict line, when the data support one. */
  verdict?: string;
  /** Why there is no verdict (or which rule gave it). */
  reason: string;
}

export interface TailRule {
  /** Latency threshold of the SLO (ms): windows whose p99 is above it are "slow". */
  thresholdMs: number;
  /** Least correlation for a cause to be named. */
  minR: number;
  /** Least windows with both values before a correlation means anything. */
  minPairs: number;
  /** Least slow windows before the tail is attributed at all. */
  minSlow: number;
  /** Least share of the slow windows in which the cause must be active. */
  minCoincidence: number;
  /** Least slow windows in which the cause must be active: one coincidence alone names nothing. */
  minActive: number;
}

/** The decide path's latency threshold: the `gateway-latency` SLO's (ms), one definition for both. */
export function decideLatencyThresholdMs(): number {
  const slo = SLOS.find((s) => s.name === "gateway-latency");
  if (!slo || slo.sli.kind !== "latency") throw new Error("monitoring/slo.ts has no gateway-latency SLO");
  return slo.sli.thresholdSeconds * 1000;
}

export const DEFAULT_TAIL_RULE: Omit<TailRule, "thresholdMs"> = {
  minR: 0.5,
  minPairs: 8,
  minSlow: 2,
  minCoincidence: 0.5,
  minActive: 2,
};

/**
 * When a cause counts as active in a window: throttled ≥ 5 ms in the second (0.5 % of it: one CFS
 * period of 100 ms throttled at a 0.05 quota share), event-loop p99 ≥ half the SLO threshold (a
 * request waiting that long has used half its budget before it runs), GC ≥ 20 ms per second.
 */
export function isActive(cause: CauseKind, value: number, thresholdMs: number): boolean {
  if (cause === "throttling") return value >= 5;
  if (cause === "event-loop delay") return value >= thresholdMs / 2;
  return value >= 20;
}

export const TAIL_METHOD =
  "Each latency window's p99 is paired with each instance's throttled ms/s, event-loop delay p99 and GC ms/s " +
  "sampled in the interval that covers the window's middle. A cause is named only when at least " +
  `${DEFAULT_TAIL_RULE.minSlow} windows are above the SLO threshold, the Pearson correlation r of p99 with the ` +
  `cause over at least ${DEFAULT_TAIL_RULE.minPairs} windows is ≥ ${DEFAULT_TAIL_RULE.minR}, and the cause was ` +
  `active in at least ${DEFAULT_TAIL_RULE.minCoincidence * 100} % of the slow windows and in at least ` +
  `${DEFAULT_TAIL_RULE.minActive} of them (throttled ≥ 5 ms/s, ` +
  "event-loop p99 ≥ half the threshold, GC ≥ 20 ms/s). Event-loop delay is prom-client's p99 since the previous scrape " +
  "minus its 10 ms sampling resolution. Of the causes that qualify, throttling is named before GC and both before " +
  "event-loop delay (which is where they show inside the process), then by r. Correlation is not proof: the " +
  "verdict says where to look first.";

/**
 * Which qualifying cause is named first: throttling is the environment's, GC the process's own, and
 * event-loop delay is where either of them (or busy code) shows inside the process, so a throttled
 * router's delayed loop is reported as the throttling it comes from, whatever the two r values.
 */
const RANK: Record<CauseKind, number> = { throttling: 0, GC: 1, "event-loop delay": 2 };

/** Pearson correlation; null for fewer than 3 pairs or a flat side. */
export function pearson(pairs: ReadonlyArray<readonly [number, number]>): number | null {
  if (pairs.length < 3) return null;
  const mx = mean(pairs.map((p) => p[0]));
  const my = mean(pairs.map((p) => p[1]));
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pairs) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * The value of `series` (points at the end of each sampling interval) for the latency window whose
 * middle is `mid`: the first point at or after it, if no further than one interval (`spanS`) away.
 */
function valueAt(
  series: ReadonlyArray<readonly [number, number]>,
  mid: number,
  spanS: number,
): number | undefined {
  for (const [x, v] of series) if (x >= mid) return x - mid <= spanS && Number.isFinite(v) ? v : undefined;
  return undefined;
}

function causeSeries(r: InstanceTrend): [CauseKind, [number, number][]][] {
  return [
    ["throttling", r.throttledMsSeries],
    ["event-loop delay", r.eventLoopP99Series],
    ["GC", r.gcMsSeries],
  ];
}

/**
 * The verdict for one run (pure). `latency`: [window start s, p99 ms] per window of `windowS` seconds,
 * on the same clock as the resource series (seconds since the run started).
 */
export function tailCause(
  latency: ReadonlyArray<readonly [number, number]>,
  resources: InstanceTrend[],
  rule: TailRule,
  windowS = 1,
): TailVerdict {
  const wins = latency.filter(([, p]) => Number.isFinite(p));
  const slow = wins.filter(([, p]) => p > rule.thresholdMs);
  const candidates: CauseCandidate[] = [];
  for (const res of resources) {
    for (const [cause, series] of causeSeries(res)) {
      if (series.length === 0) continue;
      const span = Math.max(windowS, ...series.slice(1).map((p, i) => p[0] - series[i][0]));
      const pairs: [number, number][] = [];
      let slowActive = 0;
      for (const [t, p99] of wins) {
        const v = valueAt(series, t + windowS / 2, span);
        if (v === undefined) continue;
        pairs.push([p99, v]);
        if (p99 > rule.thresholdMs && isActive(cause, v, rule.thresholdMs)) slowActive++;
      }
      candidates.push({
        instance: res.instance,
        cause,
        r: pairs.length >= rule.minPairs ? pearson(pairs) : null,
        pairs: pairs.length,
        slowActive,
      });
    }
  }
  const base = { thresholdMs: rule.thresholdMs, windows: wins.length, slowWindows: slow.length, candidates };
  if (slow.length === 0)
    return { ...base, reason: `no window's p99 is above ${rule.thresholdMs} ms: no tail to explain` };
  if (slow.length < rule.minSlow)
    return {
      ...base,
      reason: `${slow.length} window above ${rule.thresholdMs} ms: too few to attribute (needs ${rule.minSlow})`,
    };
  if (wins.length < rule.minPairs)
    return {
      ...base,
      reason: `${wins.length} latency windows: too few for a correlation (needs ${rule.minPairs})`,
    };
  const named = candidates
    .filter(
      (c) =>
        c.r !== null &&
        c.r >= rule.minR &&
        c.slowActive >= rule.minActive &&
        c.slowActive / slow.length >= rule.minCoincidence,
    )
    .sort((a, b) => RANK[a.cause] - RANK[b.cause] || b.r! - a.r! || a.instance.localeCompare(b.instance));
  if (named.length === 0) {
    const best = candidates.filter((c) => c.r !== null).sort((a, b) => b.r! - a.r!)[0];
    return {
      ...base,
      reason: best
        ? `no cause meets the rule (highest r: ${best.cause} of ${best.instance}, r = ${best.r!.toFixed(2)}, active in ${best.slowActive} of ${slow.length} slow windows)`
        : "no cause has enough samples beside the latency windows",
    };
  }
  const say = (c: CauseCandidate) =>
    `${c.cause} of ${c.instance} (r = ${c.r!.toFixed(2)}; active in ${c.slowActive} of ${slow.length} slow windows)`;
  const [top, ...more] = named;
  return {
    ...base,
    verdict:
      `p99 windows above the SLO threshold (${rule.thresholdMs} ms) coincide with ${say(top)}` +
      (more.length ? `; also ${more.slice(0, 2).map(say).join("; ")}` : ""),
    reason: "throttling before GC before event-loop delay, then the highest correlation",
  };
}
