// CPU time of processes from /proc (Linux): on a shared, busy machine req/s mostly measures how much
// CPU the scheduler granted, while CPU-µs per request measures the work each process does per request.
import fs from "node:fs";

const TICK_US = 10_000; // USER_HZ is 100 on Linux.

/** utime+stime of `pid` in microseconds, or NaN when unreadable. */
export function cpuMicros(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ")".
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return NaN;
  }
}

/** Measures CPU-µs per request of each named process across `run`. */
export async function perRequestCpu<T extends { total: number }>(
  pids: Record<string, number | undefined>,
  run: () => Promise<T>,
): Promise<{ result: T; cpu_us_per_req: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMicros(p)]));
  const result = await run();
  const cpu: Record<string, number> = {};
  for (const [k, p] of Object.entries(pids)) {
    cpu[k] = Math.round((cpuMicros(p) - before[k]) / Math.max(1, result.total));
  }
  return { result, cpu_us_per_req: cpu };
}
