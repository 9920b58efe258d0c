// The whole E2E suite (five scenario groups) against real services on loopback: nats-server, two routers
// and a gateway from dist/, restarted through the process chaos driver. One mocha test per check; every check
// runs, and the run leaves a report in reports/.
import assert from "node:assert/strict";
import type { CheckResult } from "../../loadtests/e2e/check";
import { E2EContext } from "../../loadtests/e2e/context";
import { ALL_CHECKS, runCheck } from "../../loadtests/e2e/index";
import { collectFailures, runId, writeReport } from "../../loadtests/report/write";
import { startValidationStack, ValidationStack } from "../../loadtests/validation-stack";
import { ensureBuilt, REPORTS_DIR } from "./support";

describe("loadtests: E2E suite against the loopback stack", function () {
  let stack: ValidationStack;
  let ctx: E2EContext;
  const results: CheckResult[] = [];
  const started = new Date();

  before(async function () {
    this.timeout(120000);
    ensureBuilt();
    // Two routers: the queue group spreads decides over both, so the checks run against a replicated
    // router (errors.router.idempotency-across-routers needs two to prove the shared record).
    stack = await startValidationStack({ routers: 2 });
    ctx = new E2EContext(stack.outputs, stack.e2e);
  });

  after(async function () {
    this.timeout(30000);
    await ctx?.close();
    await stack?.stop();
    if (results.length) {
      const failures = collectFailures(results, []);
      writeReport(REPORTS_DIR, {
        id: `${runId(started)}-e2e-local`,
        command: "mocha test/loadtests/e2e-local.test.ts",
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        stack: {
          name: stack.outputs.stack,
          target: stack.outputs.target,
          gatewayUrl: stack.outputs.gatewayUrl,
        },
        e2e: results,
        profiles: [],
        passed: failures.length === 0,
        failures,
        logs: [],
        notes: ["loopback stack (process driver)"],
      });
    }
  });

  it(`catalogue has ${ALL_CHECKS.length} checks (≥ 33)`, () => {
    assert.ok(ALL_CHECKS.length >= 33);
  });

  for (const check of ALL_CHECKS) {
    it(`${check.id}: ${check.title}`, async function () {
      this.timeout((check.timeoutMs ?? 30000) + 10000);
      const r = await runCheck(ctx, check);
      results.push(r);
      assert.ok(r.passed, r.error);
    });
  }
});
