// The interface every chaos driver implements (docker, process; kubernetes and ssm come with the cloud
// targets). Validation's reconnect scenarios and the chaos experiments both restart things through it,
// and the resource sampler and the log bundling read instances through it, so one implementation per
// platform serves all of them. Optional methods are capabilities: a driver that cannot partition or
// squeeze simply leaves them out, and experiments needing them report a failed precondition instead of
// pretending. What a driver kind cannot read (stats, logs) it answers with an explicit `Unavailable`.
import type { ChaosTarget, Role } from "../../stacks/outputs";
import type { LinkLatency } from "../toxiproxy";

export type { LinkLatency } from "../toxiproxy";

export interface InstanceRef {
  role: Role;
  /** Index into the role's instances (containers, pids, pods); omitted = all instances of the role. */
  index?: number;
}

export interface ResourceLimits {
  cpus?: number;
  memoryBytes?: number;
}

export interface LinkImpairment {
  delayMs?: number;
  lossPercent?: number;
}

export interface ChaosDriver {
  readonly name: ChaosTarget["driver"];
  /** Number of instances the role has. */
  count(role: Role): number;
  /** Kill abruptly (SIGKILL by default). */
  kill(ref: InstanceRef, signal?: NodeJS.Signals): Promise<void>;
  /** Start what was killed or stopped; resolves when the instance runs (not necessarily healthy). */
  start(ref: InstanceRef): Promise<void>;
  /** Graceful stop + start. */
  restart(ref: InstanceRef): Promise<void>;
  /** Freeze / thaw the processes (docker pause, SIGSTOP/SIGCONT). */
  pause(ref: InstanceRef): Promise<void>;
  unpause(ref: InstanceRef): Promise<void>;
  /** Cut the instance off the stack network (partition) and reconnect it. Optional per driver. */
  disconnect?(ref: InstanceRef): Promise<void>;
  reconnect?(ref: InstanceRef): Promise<void>;
  /** Squeeze CPU (cores, e.g. 0.1) and/or memory (bytes); `undefined` restores the declared limits. */
  squeeze?(ref: InstanceRef, limits: ResourceLimits | undefined): Promise<void>;
  /** Add latency / packet loss on the instance's network link; `undefined` removes it. */
  impairLink?(ref: InstanceRef, impairment: LinkImpairment | undefined): Promise<void>;
  /**
   * Latency on every router ↔ NATS link through the stack's link proxy (outputs.linkProxy, Toxiproxy),
   * both directions; `undefined` removes it. Needs the "link-proxy" capability.
   */
  proxyLatency?(latency: LinkLatency | undefined): Promise<void>;
  /** Remove the instance and create it again from the same definition (volumes kept). Optional. */
  recreate?(ref: InstanceRef): Promise<void>;
  /** What this driver can do beyond the required methods, for experiment preconditions. */
  capabilities?(): Promise<Set<DriverCapability>>;
  /** Whether each instance of the role is running (not crashed, not paused). */
  running(role: Role): Promise<boolean[]>;
  // Reads for the resource sampler and the log bundling. Every driver here implements them (answering
  // `Unavailable` where its platform gives nothing); they are optional only so stand-in drivers in tests
  // need not, and a missing method reads as unavailable.
  /** Where stats() reads from (reports name it), or why this driver kind has no stats. */
  statsSource?(): StatsSource | Unavailable;
  /**
   * One reading of an instance's resource usage (`ref.index` required); undefined when the instance is
   * not there right now (stopped or gone during chaos: a gap in the series).
   */
  stats?(ref: Required<InstanceRef>): Promise<InstanceStats | undefined | Unavailable>;
  /** Each instance's log lines of a time window, or why this driver kind has no logs to give. */
  logs?(role: Role, window: TimeWindow): Promise<InstanceLog[] | Unavailable>;
  /** Releases what the driver holds (sockets, child handles). Instances it restarted keep running. */
  close?(): Promise<void>;
}

/** Optional abilities an experiment step can require. */
export type DriverCapability =
  | "partition"
  | "squeeze"
  | "link-loss"
  | "link-delay"
  | "recreate"
  /** The stack has a link proxy (outputs.linkProxy) the driver can add latency through. */
  | "link-proxy";

/** What a driver kind cannot supply, and why. */
export interface Unavailable {
  unavailable: string;
}

export function unavailable(why: string): Unavailable {
  return { unavailable: why };
}

/** The reads of a driver kind that has none: stats and logs answer `why`. */
export function withoutReads(why: string): Required<Pick<ChaosDriver, "statsSource" | "stats" | "logs">> {
  const u = unavailable(why);
  return { statsSource: () => u, stats: async () => u, logs: async () => u };
}

export function isUnavailable(x: unknown): x is Unavailable {
  return typeof x === "object" && x !== null && typeof (x as Unavailable).unavailable === "string";
}

/** proc: /proc/<pid> and the PID's cgroup; docker: the Docker stats API. */
export type StatsSource = "proc" | "docker";

/** CFS bandwidth counters: scheduler periods with a quota, how many of them throttled, throttled time. */
export interface CfsCounters {
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
}

export interface InstanceStats {
  /** How reports name the instance: the container name, `<role>-<index>` for a process. */
  instance: string;
  rssBytes: number;
  /** Cumulative CPU seconds used by the instance. */
  cpuSeconds: number;
  /** Cumulative CFS counters of the instance's cgroup; absent when the source has none. */
  throttle?: CfsCounters;
}

/** Epoch ms, both ends included. */
export interface TimeWindow {
  sinceMs: number;
  untilMs: number;
}

/** One instance's log for a window: its text, or why it could not be read. */
export type InstanceLog = { instance: string; text: string } | { instance: string; error: string };
