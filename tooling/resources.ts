// Resource sampling during load, soak and chaos: memory and CPU of every gateway, router and NATS instance,
// with the causes of a long tail beside them: CFS throttling (the engine's view: the Docker stats API, or
// the cgroup files of a host process) and, for the Node services, event-loop delay and GC time from their
// own /metrics. The readings come from the stack's driver (`stats()`: /proc/<pid> for the process driver,
// one-shot Docker stats for docker; other drivers answer "unavailable"). The analysis is pure: memory slope
// per hour (after a warm-up share), the CPU trend and per-interval series of every cause, per instance.
import type { Role, StackOutputs } from "../stacks/outputs";
import { localDriver } from "./drivers";
import { CfsCounters, ChaosDriver, isUnavailable, StatsSource } from "./drivers/types";
import { metricSum, metricsUrl, Sample, scrape } from "./prom-text";
import { linearFit, mean, percentiles, slopePerHour } from "./stats";

export interface ResourceSample {
  /** Epoch ms. */
  t: number;
  role: Role;
  instance: string;
  rssBytes: number;
  /** Cumulative CPU seconds used by the instance. */
  cpuSeconds: number;
  /** Cumulative CFS counters of the instance's cgroup; absent when the source has none. */
  throttle?: CfsCounters;
  /** Event-loop delay since the service's previous scrape (prom-client), seconds. */
  eventLoopP50s?: number;
  eventLoopP99s?: number;
  /** Cumulative GC pause time of the service (sum of nodejs_gc_duration_seconds), seconds. */
  gcSeconds?: number;
}

/**
 * prom-client's event-loop monitor (perf_hooks.monitorEventLoopDelay) fires a timer every 10 ms
 * (`eventLoopMonitoringPrecision`, not changed by our services) and records the time between firings,
 * so an idle loop reads 10 ms. The delay a request sees is what lies beyond that.
 */
export const EVENT_LOOP_RESOLUTION_S = 0.01;

/**
 * Event-loop delay (beyond the monitor's resolution) and GC time from a Node service's Prometheus text
 * (prom-client default metrics). The percentiles cover the time since the service's previous scrape:
 * prom-client resets its histogram at every scrape (ours and Prometheus's).
 */
export function nodeRuntime(samples: Sample[]): {
  eventLoopP50s?: number;
  eventLoopP99s?: number;
  gcSeconds?: number;
} {
  const delay = (name: string) => {
    const v = metricSum(samples, name);
    return v === undefined ? undefined : Math.max(0, v - EVENT_LOOP_RESOLUTION_S);
  };
  return {
    eventLoopP50s: delay("nodejs_eventloop_lag_p50_seconds"),
    eventLoopP99s: delay("nodejs_eventloop_lag_p99_seconds"),
    gcSeconds: metricSum(samples, "nodejs_gc_duration_seconds_sum"),
  };
}

export const SAMPLED_ROLES: Role[] = ["gateway", "router", "nats"];

export class ResourceSampler {
  readonly samples: ResourceSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly driver?: ChaosDriver;
  /** A driver this sampler opened itself (closed by stop()). */
  private readonly own?: ChaosDriver;
  private busy = false;
  readonly source: StatsSource | "none";

  /** Reads through `driver` (the one a chaos run already holds), else through the stack's local driver. */
  constructor(
    private readonly outputs: StackOutputs,
    private readonly intervalMs = 1000,
    driver?: ChaosDriver,
  ) {
    if (!driver) this.own = driver = localDriver(outputs);
    const source = driver?.statsSource?.();
    this.source = source === undefined || isUnavailable(source) ? "none" : source;
    if (this.source !== "none") this.driver = driver;
  }

  /**
   * The /metrics URL of a Node service instance, by role and index: the gateway's through gatewayUrl
   * (one gateway per stack), each router's from routerMetricsUrls (same order as its chaos targets).
   */
  private metricsUrl(role: Role, index: number): string | undefined {
    const base =
      role === "gateway" && index === 0
        ? this.outputs.gatewayUrl
        : role === "router"
          ? this.outputs.routerMetricsUrls[index]
          : undefined;
    return base && metricsUrl(base);
  }

  /** Event-loop delay and GC time of one instance, or nothing when it has no readable /metrics. */
  private async runtime(role: Role, index: number): Promise<ReturnType<typeof nodeRuntime>> {
    const url = this.metricsUrl(role, index);
    if (!url) return {};
    try {
      return nodeRuntime(await scrape(url, 900));
    } catch {
      return {}; // down (chaos) or slow: a gap in the series, not a failed run
    }
  }

  async sampleOnce(): Promise<void> {
    const driver = this.driver;
    if (!driver) return;
    const t = Date.now();
    const jobs: Promise<void>[] = [];
    for (const role of SAMPLED_ROLES) {
      for (let index = 0; index < driver.count(role); index++) {
        jobs.push(
          (async () => {
            const [u, rt] = await Promise.all([driver.stats?.({ role, index }), this.runtime(role, index)]);
            if (!u || isUnavailable(u)) return; // stopped meanwhile (chaos): a gap in the chart
            this.samples.push({ t, role, ...u, ...rt });
          })(),
        );
      }
    }
    await Promise.all(jobs);
  }

  start(): void {
    void this.sampleOnce();
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.sampleOnce().finally(() => (this.busy = false));
    }, this.intervalMs);
  }

  async stop(): Promise<ResourceSample[]> {
    clearInterval(this.timer);
    try {
      await this.sampleOnce();
    } finally {
      await this.own?.close?.();
    }
    return this.samples;
  }
}

export interface InstanceTrend {
  instance: string;
  role: Role;
  samples: number;
  rssFirstMiB: number;
  rssLastMiB: number;
  rssMaxMiB: number;
  /** Least-squares memory growth after warm-up, MiB per hour. */
  memSlopeMiBPerHour: number;
  memR2: number;
  /** RSS at the end minus RSS when the warm-up share (20 %) ended, MiB. */
  rssGrowthAfterWarmupMiB: number;
  cpuMeanPct: number;
  /** Change of CPU % per hour (least squares over the per-interval CPU %). */
  cpuTrendPctPerHour: number;
  /** Per-interval series for charts: [seconds since start, MiB] and [seconds, CPU %]. */
  rssSeries: [number, number][];
  cpuSeries: [number, number][];
  /**
   * CFS throttling over the whole run: share of quota periods throttled and throttled ms per second;
   * null when the source has no counters or the instance has no CPU quota (its periods do not grow).
   */
  throttledShare: number | null;
  throttledMsPerS: number | null;
  /** Per interval: [seconds, share of periods throttled] and [seconds, throttled ms per second]. */
  throttledShareSeries: [number, number][];
  throttledMsSeries: [number, number][];
  /** Event-loop delay: median of the sampled p50s and largest sampled p99 (ms); null without /metrics. */
  eventLoopP50Ms: number | null;
  eventLoopP99MaxMs: number | null;
  /** [seconds, event-loop delay p99 ms] per sample. */
  eventLoopP99Series: [number, number][];
  /** GC pause time per second of run (ms/s, mean) and per interval. */
  gcMsPerS: number | null;
  gcMsSeries: [number, number][];
}

/**
 * Per-interval rate of a cumulative counter, [seconds since start, Δvalue/Δt × scale]. An interval
 * where the counter went down (a restart resets it) is skipped instead of reported negative.
 */
function rateSeries(
  ss: ResourceSample[],
  start: number,
  value: (s: ResourceSample) => number | undefined,
  scale = 1,
): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < ss.length; i++) {
    const a = value(ss[i - 1]);
    const b = value(ss[i]);
    const dt = (ss[i].t - ss[i - 1].t) / 1000;
    if (a === undefined || b === undefined || dt <= 0 || b < a) continue;
    out.push([(ss[i].t - start) / 1000, ((b - a) / dt) * scale]);
  }
  return out;
}

/** Throttling series and totals of one instance (pure). Sums only intervals without a counter reset. */
function throttling(ss: ResourceSample[], start: number) {
  const shareSeries: [number, number][] = [];
  const msSeries: [number, number][] = [];
  let periods = 0;
  let throttled = 0;
  let seconds = 0;
  let span = 0;
  for (let i = 1; i < ss.length; i++) {
    const a = ss[i - 1].throttle;
    const b = ss[i].throttle;
    const dt = (ss[i].t - ss[i - 1].t) / 1000;
    if (!a || !b || dt <= 0 || b.periods < a.periods || b.throttledSeconds < a.throttledSeconds) continue;
    const dp = b.periods - a.periods;
    const x = (ss[i].t - start) / 1000;
    shareSeries.push([x, dp > 0 ? (b.throttledPeriods - a.throttledPeriods) / dp : 0]);
    msSeries.push([x, ((b.throttledSeconds - a.throttledSeconds) * 1000) / dt]);
    periods += dp;
    throttled += b.throttledPeriods - a.throttledPeriods;
    seconds += b.throttledSeconds - a.throttledSeconds;
    span += dt;
  }
  const quota = periods > 0;
  return {
    throttledShare: quota ? throttled / periods : null,
    throttledMsPerS: quota && span > 0 ? (seconds * 1000) / span : null,
    throttledShareSeries: quota ? shareSeries : [],
    throttledMsSeries: quota ? msSeries : [],
  };
}

/** Event-loop and GC figures of one instance (pure). */
function runtimeFigures(ss: ResourceSample[], start: number) {
  const el = ss.filter((s) => s.eventLoopP99s !== undefined);
  const p50s = ss.map((s) => s.eventLoopP50s).filter((v): v is number => v !== undefined);
  const gc = rateSeries(ss, start, (s) => s.gcSeconds, 1000);
  return {
    eventLoopP50Ms: p50s.length ? percentiles(p50s, [50])[0] * 1000 : null,
    eventLoopP99MaxMs: el.length ? Math.max(...el.map((s) => s.eventLoopP99s! * 1000)) : null,
    eventLoopP99Series: el.map((s) => [(s.t - start) / 1000, s.eventLoopP99s! * 1000] as [number, number]),
    gcMsPerS: gc.length ? mean(gc.map((g) => g[1])) : null,
    gcMsSeries: gc,
  };
}

/** Per-instance memory slope and CPU trend from raw samples (pure). */
export function analyzeResources(samples: ResourceSample[], t0?: number): InstanceTrend[] {
  const by = new Map<string, ResourceSample[]>();
  for (const s of samples) {
    const k = s.instance;
    if (!by.has(k)) by.set(k, []);
    by.get(k)!.push(s);
  }
  const start = t0 ?? Math.min(...samples.map((s) => s.t));
  const out: InstanceTrend[] = [];
  for (const [instance, ss] of by) {
    ss.sort((a, b) => a.t - b.t);
    const mem = ss.map((s) => [s.t, s.rssBytes / 1048576] as const);
    const fit = slopePerHour(mem);
    const cpu = rateSeries(ss, start, (s) => s.cpuSeconds, 100);
    const cpuFit = linearFit(cpu.map(([x, y]) => [x / 3600, y] as const));
    out.push({
      instance,
      role: ss[0].role,
      samples: ss.length,
      rssFirstMiB: mem[0][1],
      rssLastMiB: mem[mem.length - 1][1],
      rssMaxMiB: Math.max(...mem.map((m) => m[1])),
      memSlopeMiBPerHour: fit.perHour,
      memR2: fit.r2,
      rssGrowthAfterWarmupMiB: growthAfterWarmup(mem),
      cpuMeanPct: cpu.length ? mean(cpu.map((c) => c[1])) : 0,
      cpuTrendPctPerHour: cpuFit.slope,
      rssSeries: mem.map(([t, v]) => [(t - start) / 1000, v]),
      cpuSeries: cpu,
      ...throttling(ss, start),
      ...runtimeFigures(ss, start),
    });
  }
  return out.sort((a, b) => a.instance.localeCompare(b.instance));
}

/** Last value minus the value at 20 % of the time span (the warm-up cut used by the slope fit). */
export function growthAfterWarmup(
  series: ReadonlyArray<readonly [number, number]>,
  warmupShare = 0.2,
): number {
  if (series.length === 0) return 0;
  const t0 = series[0][0];
  const cut = t0 + (series[series.length - 1][0] - t0) * warmupShare;
  const at = series.find(([t]) => t >= cut) ?? series[0];
  return series[series.length - 1][1] - at[1];
}
