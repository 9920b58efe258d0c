// Closed-loop maximum-throughput measurement with autocannon: N connections each send the next request
// as soon as the previous answer arrives. This measures capacity; it is NOT used for fixed-rate runs
// (autocannon's rate mode bursts and mis-corrects latency; the open-model driver does those).
import autocannon from "autocannon";
import { percentiles } from "../tooling/stats";
import type { WindowStat } from "../tooling/open-model";

export interface ClosedLoopOptions {
  url: string;
  connections: number;
  durationS: number;
  timeoutS?: number;
  /** Builds each request (called per request, so ids and tenants can rotate). */
  request: (i: number) => { path: string; method?: string; headers?: Record<string, string>; body?: string };
  windowMs?: number;
}

export interface ClosedLoopResult {
  requests: number;
  throughput: number;
  /** autocannon latency percentiles, ms. */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  s2xx: number;
  s4xx: number;
  s5xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  durationS: number;
  windows: WindowStat[];
}

export async function runClosedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const windowMs = o.windowMs ?? 1000;
  let i = 0;
  const t0 = Date.now();
  // Per-window percentiles from the response events (autocannon's own histograms cover the whole run).
  const win = new Map<number, { lat: number[]; s2xx: number; s4xx: number; s5xx: number }>();
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const inst = autocannon(
    {
      url: o.url,
      connections: o.connections,
      duration: o.durationS,
      timeout: o.timeoutS ?? 10,
      requests: [
        {
          setupRequest: (req) => {
            const r = o.request(i++);
            return {
              ...req,
              method: (r.method ?? "POST") as "POST",
              path: r.path,
              headers: r.headers,
              body: r.body,
            };
          },
        },
      ],
    },
    (err, result) => (err ? fail(err) : finish(result)),
  );
  inst.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    const k = Math.floor((Date.now() - t0) / windowMs);
    let w = win.get(k);
    if (!w) win.set(k, (w = { lat: [], s2xx: 0, s4xx: 0, s5xx: 0 }));
    w.lat.push(ms * 1000);
    if (status >= 200 && status < 300) w.s2xx++;
    else if (status >= 400 && status < 500) w.s4xx++;
    else if (status >= 500) w.s5xx++;
  });
  const res = await done;
  const windows: WindowStat[] = [...win.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, w]) => {
      const [p50, p95, p99, max] = percentiles(w.lat, [50, 95, 99, 100]);
      return {
        tMs: k * windowMs,
        count: w.lat.length,
        ok: w.s2xx,
        fail: w.lat.length - w.s2xx,
        unknown: 0,
        s2xx: w.s2xx,
        s4xx: w.s4xx,
        s5xx: w.s5xx,
        p50Us: p50,
        p95Us: p95,
        p99Us: p99,
        maxUs: max,
      };
    });
  const statusCounts: Record<string, number> = {};
  for (const [code, v] of Object.entries(res.statusCodeStats ?? {})) statusCounts[code] = v.count ?? 0;
  return {
    requests: res.requests.total,
    throughput: res.requests.total / Math.max(0.001, res.duration),
    latencyMs: {
      p50: res.latency.p50,
      p90: res.latency.p90,
      p99: res.latency.p99,
      p999: res.latency.p99_9,
      max: res.latency.max,
      mean: res.latency.average,
    },
    s2xx: res["2xx"],
    s4xx: res["4xx"],
    s5xx: res["5xx"],
    errors: res.errors,
    timeouts: res.timeouts,
    statusCounts,
    durationS: res.duration,
    windows,
  };
}
