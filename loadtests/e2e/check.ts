// A named E2E check. The suite is a plain list of these so the CLI and mocha run exactly the same checks,
// and a report lists every one with its outcome (there is no "skipped": a missing capability fails).
import type { E2EContext } from "./context";

export type ScenarioGroup = "subjects" | "errors" | "timeouts" | "reconnect" | "backpressure";

export const GROUP_TITLES: Record<ScenarioGroup, string> = {
  subjects: "1. Subjects and headers",
  errors: "2. Error semantics",
  timeouts: "3. Timeouts and late replies",
  reconnect: "4. Reconnect storm",
  backpressure: "5. Backpressure",
};

export interface Check {
  id: string;
  group: ScenarioGroup;
  title: string;
  /** Upper bound for the check, ms (default 30000). */
  timeoutMs?: number;
  /**
   * Injects router faults (ROUTER_FAULTS_ENABLED, a test hook that is off in `dev` and production): on a
   * stack without it the check fails with a missing capability, so a run there selects the others.
   */
  usesRouterFaults?: boolean;
  run(ctx: E2EContext): Promise<void>;
}

/** The checks of a list that inject router faults, marked so (see Check.usesRouterFaults). */
export function injectingRouterFaults(checks: Check[]): Check[] {
  return checks.map((c) => ({ ...c, usesRouterFaults: true }));
}

export interface CheckResult {
  id: string;
  group: ScenarioGroup;
  title: string;
  passed: boolean;
  durationMs: number;
  error?: string;
  /** The check failed because the stack lacks a capability (fault injection, chaos driver, …). */
  missingCapability?: boolean;
  /** What the check observed beyond pass/fail (e.g. "rate limiting is off on this gateway"). */
  notes?: string[];
}
