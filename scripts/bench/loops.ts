// Closed-loop load generator for NATS baselines: `concurrency` loops each awaiting one operation at a
// time for a fixed duration, latencies in an HDR histogram (microsecond resolution).
import * as hdr from "hdr-histogram-js";

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

export async function closedLoops(
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let n = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op(n++);
          h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const total = h.totalCount;
  const r = {
    rps: total / elapsed,
    p50: h.getValueAtPercentile(50) / 1000,
    p99: h.getValueAtPercentile(99) / 1000,
    errors,
    total,
  };
  h.destroy();
  return r;
}
