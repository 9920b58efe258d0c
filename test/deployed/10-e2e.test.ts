// The E2E suite (five scenario groups, every check executed) against the real `ci` stack on dockerd,
// restarting NATS and the router through the docker chaos driver. Leaves reports/<id>/index.html with
// the containers' logs for the run window.
import assert from "node:assert/strict";
import path from "node:path";
import { ALL_CHECKS } from "../../loadtests/e2e/index";
import { runValidation, ValidationOutcome } from "../../loadtests/run";
import { DEFAULT_SETTINGS } from "../../loadtests/profiles";
import type { StackOutputs } from "../../stacks/outputs";
import { DEPLOY_TIMEOUT_MS, getDeployedStack } from "../support/deployed-stack";

describe("E2E suite against the deployed ci stack (docker driver)", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let outputs: StackOutputs;
  let run: ValidationOutcome;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 900000);
    outputs = await getDeployedStack();
    run = await runValidation({
      mode: "e2e",
      outputs,
      // The ci stack runs the contract defaults: 5 s router timeout, 1024 in flight, no tenant tokens or
      // rate limit (the 401/429 checks then verify open mode and say so in the report).
      e2e: { gatewayTimeoutMs: Number(process.env.E2E_GATEWAY_TIMEOUT_MS ?? 5000) },
      load: { tenants: [] },
      profiles: [],
      settings: DEFAULT_SETTINGS,
      reportsDir: path.resolve("reports"),
      command: "mocha test/deployed/10-e2e.test.ts",
      log: process.env.TEST_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined,
    });
  });

  it("uses the docker driver and executed every check", () => {
    assert.equal(outputs.chaosTargets.nats?.driver, "docker");
    assert.equal(run.report.e2e!.length, ALL_CHECKS.length);
    assert.ok(run.report.logs.length > 0, "container logs bundled in the report");
  });

  for (const check of ALL_CHECKS) {
    it(`${check.id}: ${check.title}`, () => {
      const r = run.report.e2e!.find((x) => x.id === check.id);
      assert.ok(r, `${check.id} did not run`);
      assert.ok(r.passed, `${r.error} (report ${run.dir}/index.html)`);
    });
  }
});
