// Process driver: the stack runs as local processes (loadtests/local-stack.ts, `npm run dev`). Faults are
// signals to the PIDs in outputs.chaosTargets; a killed instance is started again from the matching
// `commands` entry. Only the PIDs listed in the outputs are ever signalled.
import { spawn, ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readCgroupCpu } from "../../services/common/cgroup-cpu";
import type { ChaosTarget, Role, StackOutputs } from "../../stacks/outputs";
import {
  CfsCounters,
  ChaosDriver,
  DriverCapability,
  InstanceRef,
  InstanceStats,
  unavailable,
  Unavailable,
} from "./types";

type ProcState = "running" | "stopped" | "gone";

/** State of a PID from /proc: stopped (SIGSTOP), gone (no such process or a zombie), else running. */
export function processState(pid: number): ProcState {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return "gone";
  }
  // Field 3 follows the command name in parentheses, which may itself contain spaces or parens.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  if (state === "Z" || state === "X") return "gone";
  if (state === "T" || state === "t") return "stopped";
  return "running";
}

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

/** CFS counters of a host process's cgroup (cpu.stat, the same reader the services export with). */
export function procThrottling(pid: number): CfsCounters | undefined {
  return readCgroupCpu("/", undefined, pid)?.stat;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`process driver: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class ProcessDriver implements ChaosDriver {
  readonly name = "process" as const;
  /** Processes this driver started (restarts), kept so Node reaps them and close() can report them. */
  private readonly children = new Map<number, ChildProcess>();
  private readonly logDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-chaos-proc-"));

  constructor(private readonly outputs: StackOutputs) {}

  private target(role: Role): ChaosTarget & { pids: number[] } {
    const t = this.outputs.chaosTargets[role];
    if (!t || t.driver !== "process" || !t.pids) {
      throw new Error(`process driver: outputs.chaosTargets.${role} has no process pids`);
    }
    return t as ChaosTarget & { pids: number[] };
  }

  private indexes(ref: InstanceRef): number[] {
    const n = this.count(ref.role);
    if (ref.index === undefined) return [...Array(n).keys()];
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= n) {
      throw new Error(`process driver: ${ref.role} has ${n} instance(s), index ${ref.index} is out of range`);
    }
    return [ref.index];
  }

  count(role: Role): number {
    return this.outputs.chaosTargets[role]?.pids?.length ?? 0;
  }

  /** Current PID of an instance (changes after a start). */
  pid(role: Role, index: number): number {
    return this.target(role).pids[index];
  }

  async kill(ref: InstanceRef, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const t = this.target(ref.role);
    await Promise.all(
      this.indexes(ref).map(async (i) => {
        const pid = t.pids[i];
        if (processState(pid) === "gone") return;
        // A stopped process would never handle SIGTERM; thaw it first so graceful kills work.
        if (signal !== "SIGKILL") process.kill(pid, "SIGCONT");
        process.kill(pid, signal);
        await until(
          `${ref.role}[${i}] pid ${pid} to exit after ${signal}`,
          () => processState(pid) === "gone",
          10000,
        );
      }),
    );
  }

  async start(ref: InstanceRef): Promise<void> {
    const t = this.target(ref.role);
    for (const i of this.indexes(ref)) {
      if (processState(t.pids[i]) !== "gone") continue;
      const c = t.commands?.[i];
      if (!c)
        throw new Error(
          `process driver: outputs.chaosTargets.${ref.role}.commands[${i}] is missing; cannot start`,
        );
      const log = fs.openSync(path.join(this.logDir, `${ref.role}-${i}-${Date.now()}.log`), "a");
      const child = spawn(c.cmd, c.args, {
        cwd: c.cwd,
        env: { ...process.env, ...c.env },
        stdio: ["ignore", log, log],
      });
      fs.closeSync(log);
      const pid = await new Promise<number>((resolve, reject) => {
        child.once("spawn", () => resolve(child.pid!));
        child.once("error", (e) =>
          reject(new Error(`process driver: starting ${ref.role}[${i}] (${c.cmd}): ${e.message}`)),
        );
      });
      this.children.set(pid, child);
      // The outputs object is the single source of current PIDs, so later faults and the stack's own
      // teardown address the new process.
      t.pids[i] = pid;
      await until(`${ref.role}[${i}] to run`, () => processState(pid) === "running", 5000);
    }
  }

  async restart(ref: InstanceRef): Promise<void> {
    for (const i of this.indexes(ref)) {
      const one = { role: ref.role, index: i };
      const pid = this.target(ref.role).pids[i];
      try {
        await this.kill(one, "SIGTERM");
      } catch {
        // Did not stop gracefully in time: a restart must still happen.
        if (processState(pid) !== "gone") await this.kill(one, "SIGKILL");
      }
      await this.start(one);
    }
  }

  async pause(ref: InstanceRef): Promise<void> {
    for (const i of this.indexes(ref)) {
      const pid = this.target(ref.role).pids[i];
      process.kill(pid, "SIGSTOP");
      await until(`${ref.role}[${i}] to stop`, () => processState(pid) !== "running", 5000);
    }
  }

  async unpause(ref: InstanceRef): Promise<void> {
    for (const i of this.indexes(ref)) {
      const pid = this.target(ref.role).pids[i];
      if (processState(pid) === "gone") continue;
      process.kill(pid, "SIGCONT");
      await until(`${ref.role}[${i}] to continue`, () => processState(pid) !== "stopped", 5000);
    }
  }

  async capabilities(): Promise<Set<DriverCapability>> {
    // Signals only: no network namespace or cgroup of its own to partition or squeeze.
    return new Set();
  }

  async running(role: Role): Promise<boolean[]> {
    return (this.outputs.chaosTargets[role]?.pids ?? []).map((pid) => processState(pid) === "running");
  }

  statsSource(): "proc" {
    return "proc";
  }

  /** RSS and CPU from /proc/<pid>, CFS counters from the PID's cgroup; undefined when the PID is gone. */
  async stats(ref: Required<InstanceRef>): Promise<InstanceStats | undefined> {
    const pid = this.outputs.chaosTargets[ref.role]?.pids?.[ref.index];
    const u = pid === undefined ? undefined : procUsage(pid);
    if (pid === undefined || !u) return undefined;
    return { instance: `${ref.role}-${ref.index}`, ...u, throttle: procThrottling(pid) };
  }

  async logs(): Promise<Unavailable> {
    return unavailable(
      "process driver: the instances log to the files of the stack's log directory (--logs-dir), not through the driver",
    );
  }

  /** Processes started by this driver that still run (the stack's teardown stops them via the outputs' pids). */
  startedPids(): number[] {
    return [...this.children.keys()].filter((p) => processState(p) !== "gone");
  }

  async close(): Promise<void> {
    fs.rmSync(this.logDir, { recursive: true, force: true });
  }
}
