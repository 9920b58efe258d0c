// Shared pieces of the experiment definitions: CI-sized timing, load and the standard gates.
import type { Role } from "../../stacks/outputs";
import { DEFAULT_STEADY_STATE, Experiment, Gate, Step } from "../model";

/** CI-sized: 4 s baseline, observation long enough for recovery plus the 10 s hold. */
export const SHORT = { baselineMs: 4000, observeMs: 20000 };
export const LOAD = { syncRps: 20, durableRps: 20 };

/** Every experiment: nothing lost, nothing crashed, the stack back to its declared state. */
export const STANDARD_GATES: Gate[] = [
  { kind: "zero-loss" },
  { kind: "no-crashed-service" },
  { kind: "declared-state" },
];

export const NEEDS_STACK: Partial<Record<Role, number>> = { nats: 1, router: 1, gateway: 1 };

export function experiment(
  e: Omit<Experiment, "hypothesis" | "load" | "baselineMs" | "observeMs" | "needs"> &
    Partial<Pick<Experiment, "hypothesis" | "load" | "baselineMs" | "observeMs" | "needs">>,
): Experiment {
  return {
    hypothesis: DEFAULT_STEADY_STATE,
    load: LOAD,
    ...SHORT,
    ...e,
    needs: { ...NEEDS_STACK, ...e.needs },
  };
}

export const wait = (ms: number, label = `hold ${ms / 1000} s`): Step => ({
  label,
  action: { kind: "wait", ms },
});
/** "Back" means healthy: the fault ends when the role answers its health check, not when it was started. */
export const healthy = (role: Role, index?: number): Step => ({
  label: `${role}${index === undefined ? "" : `[${index}]`} healthy`,
  action: { kind: "await-healthy", target: { role, index } },
  endsFault: true,
});
export const startAll = (role: Role): Step => ({
  label: `ensure every ${role} runs`,
  action: { kind: "start", target: { role } },
});
