// The E2E suite: every check of the five scenario groups, in order, each executed exactly once. A check
// that cannot run because the stack lacks a capability fails with that reason; nothing is skipped.
import { backpressureChecks } from "./backpressure";
import { injectingRouterFaults, type Check, type CheckResult } from "./check";
import { E2EContext, MissingCapability } from "./context";
import { errorChecks } from "./errors";
import { idempotencyChecks } from "./idempotency";
import { reconnectChecks } from "./reconnect";
import { subjectChecks } from "./subjects";
import { timeoutChecks } from "./timeouts";

export const ALL_CHECKS: Check[] = [
  ...subjectChecks,
  ...errorChecks,
  ...idempotencyChecks,
  // Every timeout and backpressure check makes a router slow or busy through fault injection.
  ...injectingRouterFaults(timeoutChecks),
  ...reconnectChecks,
  ...injectingRouterFaults(backpressureChecks),
];

export async function runCheck(ctx: E2EContext, check: Check): Promise<CheckResult> {
  const t0 = Date.now();
  ctx.pendingNotes = [];
  const notes = () => (ctx.pendingNotes.length ? { notes: [...ctx.pendingNotes] } : {});
  const limit = check.timeoutMs ?? 30000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.run(ctx),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`check did not finish within ${limit} ms`)), limit);
      }),
    ]);
    return {
      id: check.id,
      group: check.group,
      title: check.title,
      passed: true,
      durationMs: Date.now() - t0,
      ...notes(),
    };
  } catch (e) {
    return {
      id: check.id,
      group: check.group,
      title: check.title,
      passed: false,
      durationMs: Date.now() - t0,
      error: (e as Error).message,
      missingCapability: e instanceof MissingCapability,
      ...notes(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the checks (all by default, or those whose id starts with one of `only`). */
export async function runE2E(
  ctx: E2EContext,
  opts: { only?: string[]; onResult?: (r: CheckResult, i: number, n: number) => void } = {},
): Promise<CheckResult[]> {
  const checks = opts.only?.length
    ? ALL_CHECKS.filter((c) => opts.only!.some((p) => c.id.startsWith(p)))
    : ALL_CHECKS;
  const results: CheckResult[] = [];
  for (const [i, c] of checks.entries()) {
    const r = await runCheck(ctx, c);
    results.push(r);
    opts.onResult?.(r, i, checks.length);
  }
  return results;
}

export { E2EContext } from "./context";
export type { Check, CheckResult } from "./check";
