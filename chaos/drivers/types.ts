// The interface every chaos driver implements (docker, process; kubernetes and ssm come with the cloud
// targets). Validation's reconnect scenarios and the chaos experiments both restart things through it,
// so one implementation per platform serves both.
import type { ChaosTarget, Role } from "../../stacks/outputs";

export interface InstanceRef {
  role: Role;
  /** Index into the role's instances (containers, pids, pods); omitted = all instances of the role. */
  index?: number;
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
  squeeze?(ref: InstanceRef, limits: { cpus?: number; memoryBytes?: number } | undefined): Promise<void>;
  /** Add latency / packet loss on the instance's network link; `undefined` removes it. */
  impairLink?(
    ref: InstanceRef,
    impairment: { delayMs?: number; lossPercent?: number } | undefined,
  ): Promise<void>;
  /** Whether each instance of the role is running (not crashed, not paused). */
  running(role: Role): Promise<boolean[]>;
}
