// The interface every chaos driver implements (docker, process; kubernetes and ssm come with the cloud
// targets). Validation's reconnect scenarios and the chaos experiments both restart things through it,
// so one implementation per platform serves both. Optional methods are capabilities: a driver that
// cannot partition or squeeze simply leaves them out, and experiments needing them report a failed
// precondition instead of pretending.
import type { ChaosTarget, Role } from "../../stacks/outputs";

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
  /** Remove the instance and create it again from the same definition (volumes kept). Optional. */
  recreate?(ref: InstanceRef): Promise<void>;
  /** What this driver can do beyond the required methods, for experiment preconditions. */
  capabilities?(): Promise<Set<DriverCapability>>;
  /** Whether each instance of the role is running (not crashed, not paused). */
  running(role: Role): Promise<boolean[]>;
  /** Releases what the driver holds (sockets, child handles). Instances it restarted keep running. */
  close?(): Promise<void>;
}

/** Optional abilities an experiment step can require. */
export type DriverCapability = "partition" | "squeeze" | "link-loss" | "link-delay" | "recreate";
