// CPU throttling of this process's own cgroup, exported by the services themselves. A CFS quota
// (docker --cpus, a Kubernetes CPU limit) lets a cgroup run for `quota` µs in every `period` µs; once
// spent, every thread of the cgroup waits for the next period. That wait is invisible in process CPU
// time and shows up only as latency, so every latency figure needs the throttling beside it. cAdvisor
// reports it per container where the platform runs one; these metrics give the same figures on any
// host, and follow the process when it is moved to another cgroup (the path is re-read at each scrape).
//
// The parse functions are pure (text in, numbers out); readCgroupCpu takes the filesystem root so tests
// run it on fixture trees.
import fs from "node:fs";
import path from "node:path";
import client from "prom-client";

export type CgroupVersion = 1 | 2;

/** A cgroup that may hold this process's CPU controller, as /proc/self/cgroup names it. */
export interface CpuCgroup {
  version: CgroupVersion;
  /** v1: the hierarchy's controller list (e.g. "cpu,cpuacct"); v2: "". */
  controllers: string;
  /** The cgroup's path inside its hierarchy, e.g. "/docker/abc" or "/". */
  path: string;
}

export interface CpuStat {
  /** CFS periods in which the cgroup had runnable work (they only elapse while a quota is set). */
  periods: number;
  /** Periods that ended with the quota spent and the cgroup's threads waiting. */
  throttledPeriods: number;
  /** Total time the cgroup's threads waited for the next period. */
  throttledSeconds: number;
}

export interface CgroupCpu {
  version: CgroupVersion;
  /** The directory whose cpu.stat was read. */
  dir: string;
  stat: CpuStat;
  /** CPU quota in cores (quota / period); 0 = no quota; undefined = the quota file is unreadable. */
  limitCores?: number;
}

/**
 * The cgroups to look in, in preference order: the v1 hierarchy with the `cpu` controller, then the v2
 * unified one (`0::/path`). A hybrid host lists both, and there the CPU controller is in v1.
 */
export function parseProcCgroup(text: string): CpuCgroup[] {
  const v1: CpuCgroup[] = [];
  const v2: CpuCgroup[] = [];
  for (const line of text.split("\n")) {
    // hierarchy-ID:controller-list:path (the path itself may contain ':').
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers, p] = m;
    if (controllers.split(",").includes("cpu")) v1.push({ version: 1, controllers, path: p });
    else if (id === "0" && controllers === "") v2.push({ version: 2, controllers, path: p });
  }
  return [...v1, ...v2];
}

/**
 * Directories that may hold the cgroup's cpu.stat, most specific first. v1 mounts the `cpu` hierarchy
 * at /sys/fs/cgroup/<controllers> (often with a `cpu` link to `cpu,cpuacct`). Inside a Docker container
 * with v1, /proc/self/cgroup names the host path (/docker/<id>) while the mount is the container's own
 * cgroup, so `<mount><path>` does not exist and `<mount>` itself is the right directory; the same holds
 * for v2 in a container that shares the host's cgroup namespace.
 */
export function cpuStatDirs(cg: CpuCgroup, root = "/"): string[] {
  const base = path.resolve(root, "sys/fs/cgroup");
  const mounts =
    cg.version === 1
      ? [...new Set([cg.controllers, "cpu,cpuacct", "cpu"])].map((m) => path.join(base, m))
      : [base];
  // resolve() drops the trailing "/" of a root path, so "/" and the mount collapse into one entry.
  const dirs = [...mounts.map((m) => path.resolve(path.join(m, cg.path))), ...mounts];
  return [...new Set(dirs)];
}

function keyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, v, ...rest] = line.trim().split(/\s+/);
    if (k && v !== undefined && rest.length === 0 && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/**
 * cpu.stat → periods, throttled periods and throttled seconds; undefined when a field is missing (a v2
 * cgroup without the cpu controller enabled lists only usage). v1 gives `throttled_time` in ns, v2
 * `throttled_usec` in µs.
 */
export function parseCpuStat(text: string): CpuStat | undefined {
  const kv = keyValues(text);
  const periods = kv.get("nr_periods");
  const throttledPeriods = kv.get("nr_throttled");
  const usec = kv.get("throttled_usec");
  const nsec = kv.get("throttled_time");
  if (periods === undefined || throttledPeriods === undefined) return undefined;
  const throttledSeconds = usec !== undefined ? usec / 1e6 : nsec !== undefined ? nsec / 1e9 : undefined;
  if (throttledSeconds === undefined) return undefined;
  return { periods, throttledPeriods, throttledSeconds };
}

const cores = (quotaUs: number, periodUs: number) => (periodUs > 0 ? quotaUs / periodUs : undefined);

/** v1 cpu.cfs_quota_us and cpu.cfs_period_us → cores; a quota of -1 (none) → 0. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const quota = quotaText.trim();
  const period = periodText.trim();
  if (!/^-?\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  return Number(quota) < 0 ? 0 : cores(Number(quota), Number(period));
}

/** v2 cpu.max (`<quota|max> <period>`) → cores; `max` (none) → 0. */
export function parseCpuMax(text: string): number | undefined {
  const m = /^(max|\d+)\s+(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  return m[1] === "max" ? 0 : cores(Number(m[1]), Number(m[2]));
}

export type ReadText = (file: string) => string | undefined;

const readText: ReadText = (file) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

/**
 * The CPU accounting of the cgroup this process (or `pid`) is in now, or undefined when no cgroup file is readable
 * (not Linux, /sys not mounted, a v2 cgroup without the cpu controller). Note the figures are this
 * cgroup's own: a quota set on a parent (a pod-level limit) throttles the parent's counters, not these.
 */
export function readCgroupCpu(
  root = "/",
  read: ReadText = readText,
  pid: number | "self" = "self",
): CgroupCpu | undefined {
  // Another process's cgroup (the load tools sample loopback services by PID) resolves the same way.
  const self = read(path.join(root, `proc/${pid}/cgroup`));
  if (self === undefined) return undefined;
  for (const cg of parseProcCgroup(self)) {
    for (const dir of cpuStatDirs(cg, root)) {
      const text = read(path.join(dir, "cpu.stat"));
      const stat = text === undefined ? undefined : parseCpuStat(text);
      if (!stat) continue;
      let limitCores: number | undefined;
      if (cg.version === 1) {
        const quota = read(path.join(dir, "cpu.cfs_quota_us"));
        const period = read(path.join(dir, "cpu.cfs_period_us"));
        if (quota !== undefined && period !== undefined) limitCores = parseCfsQuota(quota, period);
      } else {
        const max = read(path.join(dir, "cpu.max"));
        if (max !== undefined) limitCores = parseCpuMax(max);
      }
      return { version: cg.version, dir, stat, limitCores };
    }
  }
  return undefined;
}

export const CGROUP_CPU_METRICS = {
  periods: "process_cgroup_cpu_periods_total",
  throttledPeriods: "process_cgroup_cpu_throttled_periods_total",
  throttledSeconds: "process_cgroup_cpu_throttled_seconds_total",
  limitCores: "process_cgroup_cpu_limit_cores",
} as const;

/**
 * Registers the four cgroup CPU metrics on `registry`. The values are read at scrape time (collect):
 * the kernel keeps the counters, so there is nothing to update in between, and re-reading
 * /proc/self/cgroup each time follows a process moved to another cgroup. When nothing is readable the
 * metrics carry no sample (only their HELP/TYPE lines): a made-up 0 would read as "never throttled"
 * where the truth is "unknown". Reading never throws, so a scrape cannot fail because of it.
 */
export function registerCgroupCpuMetrics(registry: client.Registry, opts: { root?: string } = {}): void {
  const root = opts.root ?? "/";
  // One read per scrape for all four metrics, so they describe the same instant: the registry calls
  // every collect() synchronously in one pass, and the memo is dropped in the microtask after it.
  let memo: { value: CgroupCpu | undefined } | undefined;
  const current = (): CgroupCpu | undefined => {
    if (!memo) {
      let value: CgroupCpu | undefined;
      try {
        value = readCgroupCpu(root);
      } catch {
        value = undefined;
      }
      memo = { value };
      queueMicrotask(() => (memo = undefined));
    }
    return memo.value;
  };
  const registers = [registry];
  const counter = (name: string, help: string, pick: (c: CgroupCpu) => number) =>
    new client.Counter({
      name,
      help,
      registers,
      collect() {
        const c = current();
        this.reset();
        // An unlabelled counter always holds a sample (0 after reset); remove() drops it.
        if (c) this.inc(pick(c));
        else this.remove();
      },
    });
  counter(
    CGROUP_CPU_METRICS.periods,
    "CFS periods elapsed with runnable work in this process's cgroup (they elapse only under a CPU quota)",
    (c) => c.stat.periods,
  );
  counter(
    CGROUP_CPU_METRICS.throttledPeriods,
    "CFS periods in which this process's cgroup spent its CPU quota and was throttled",
    (c) => c.stat.throttledPeriods,
  );
  counter(
    CGROUP_CPU_METRICS.throttledSeconds,
    "Total time the threads of this process's cgroup waited for CPU quota",
    (c) => c.stat.throttledSeconds,
  );
  new client.Gauge({
    name: CGROUP_CPU_METRICS.limitCores,
    help: "CPU quota of this process's cgroup in cores (quota / period); 0 = no quota",
    registers,
    collect() {
      const limit = current()?.limitCores;
      if (limit === undefined) this.remove();
      else this.set(limit);
    },
  });
}
