// Resource sampling during load and soak: memory and CPU of every gateway, router and NATS instance.
// The source follows the stack's chaos driver: /proc/<pid> for the process driver (loopback stack),
// the Docker API (dockerode, one-shot stats) for docker. The analysis is pure: memory slope per hour
// (after a warm-up share) and the CPU trend, per instance.
import fs from "node:fs";
import Docker from "dockerode";
import type { Role, StackOutputs } from "../stacks/outputs";
import { linearFit, mean, slopePerHour } from "./stats";

export interface ResourceSample {
  /** Epoch ms. */
  t: number;
  role: Role;
  instance: string;
  rssBytes: number;
  /** Cumulative CPU seconds used by the instance. */
  cpuSeconds: number;
}

export const SAMPLED_ROLES: Role[] = ["gateway", "router", "nats"];

const CLK_TCK = 100; // Linux USER_HZ; /proc stat times are in these ticks

/** RSS and CPU seconds of a PID from /proc; undefined when it is gone. */
export function procUsage(pid: number): { rssBytes: number; cpuSeconds: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the name: state(3) … utime(14) stime(15) … rss(24) → indexes 11, 12, 21 here.
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return { rssBytes: m ? Number(m[1]) * 1024 : 0, cpuSeconds: (utime + stime) / CLK_TCK };
  } catch {
    return undefined;
  }
}

export class ResourceSampler {
  readonly samples: ResourceSample[] = [];
  private timer?: NodeJS.Timeout;
  private docker?: Docker;
  private busy = false;
  readonly source: "proc" | "docker" | "none";

  constructor(
    private readonly outputs: StackOutputs,
    private readonly intervalMs = 1000,
  ) {
    const drivers = new Set(SAMPLED_ROLES.map((r) => outputs.chaosTargets[r]?.driver).filter(Boolean));
    this.source = drivers.has("process") ? "proc" : drivers.has("docker") ? "docker" : "none";
    if (this.source === "docker") this.docker = new Docker();
  }

  async sampleOnce(): Promise<void> {
    const t = Date.now();
    for (const role of SAMPLED_ROLES) {
      const target = this.outputs.chaosTargets[role];
      if (!target) continue;
      if (this.source === "proc") {
        (target.pids ?? []).forEach((pid, i) => {
          const u = procUsage(pid);
          if (u) this.samples.push({ t, role, instance: `${role}-${i}`, ...u });
        });
      } else if (this.source === "docker") {
        await Promise.all(
          (target.containers ?? []).map(async (name) => {
            try {
              const s = (await this.docker!.getContainer(name).stats({
                stream: false,
                "one-shot": true,
              } as never)) as any;
              const cache =
                s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.total_inactive_file ?? 0;
              this.samples.push({
                t,
                role,
                instance: name,
                rssBytes: Math.max(0, (s.memory_stats?.usage ?? 0) - cache),
                cpuSeconds: (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
              });
            } catch {
              // container stopped meanwhile (chaos); the gap shows in the chart
            }
          }),
        );
      }
    }
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
    await this.sampleOnce();
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
    const cpu: [number, number][] = [];
    for (let i = 1; i < ss.length; i++) {
      const dt = (ss[i].t - ss[i - 1].t) / 1000;
      const dc = ss[i].cpuSeconds - ss[i - 1].cpuSeconds;
      // A restart resets the counter; skip that interval instead of reporting a negative CPU.
      if (dt > 0 && dc >= 0) cpu.push([(ss[i].t - start) / 1000, (dc / dt) * 100]);
    }
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
