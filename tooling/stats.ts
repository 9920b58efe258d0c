// Small pure statistics used by the load reports and gates: percentiles of raw samples, a least-squares
// slope (memory growth per hour, CPU trend) and first/last window comparisons. Pure so they are unit-tested.

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array; NaN for an empty array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Percentiles of unsorted samples (copied and sorted numerically). */
export function percentiles(samples: ArrayLike<number>, ps: number[]): number[] {
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => percentileSorted(sorted, p));
}

export interface LinearFit {
  /** Change of y per unit of x. */
  slope: number;
  intercept: number;
  /** Coefficient of determination (0..1); 0 when y is constant. */
  r2: number;
  n: number;
}

/** Ordinary least-squares fit y = slope·x + intercept. Fewer than 2 distinct x values → slope 0. */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): LinearFit {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0, r2: 0, n };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return { slope: 0, intercept: my, r2: 0, n };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2, n };
}

/**
 * Memory growth in bytes per hour from samples [timeMs, bytes]. The first `warmupShare` of the run is
 * ignored: heaps, pools and JIT caches grow at start-up and would read as a leak in short runs.
 */
export function slopePerHour(
  samples: ReadonlyArray<readonly [number, number]>,
  warmupShare = 0.2,
): LinearFit & { perHour: number } {
  if (samples.length === 0) return { ...linearFit([]), perHour: 0 };
  const t0 = samples[0][0];
  const span = samples[samples.length - 1][0] - t0;
  const kept = samples.filter(([t]) => t - t0 >= span * warmupShare);
  const fit = linearFit(kept.map(([t, y]) => [(t - t0) / 3_600_000, y] as const));
  return { ...fit, perHour: fit.slope };
}

/** Mean of the numbers; NaN when empty. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Splits a series into its first and last `share` (by count) and returns both parts. */
export function firstLast<T>(xs: readonly T[], share = 0.2): { first: T[]; last: T[] } {
  const k = Math.max(1, Math.floor(xs.length * share));
  return { first: xs.slice(0, k), last: xs.slice(Math.max(0, xs.length - k)) };
}
