// The CI chaos suite against the real `ci` stack on dockerd (docker driver): NATS kill/restart, router
// kill, gateway restart, a router partition and a router CPU squeeze, with every gate evaluated. The
// rollbacks restore the declared state, so the global teardown's "nothing left behind" check still runs
// against an intact stack.
import assert from "node:assert/strict";
import path from "node:path";
import { SUITES } from "../../chaos/experiments";
import { runSuite, SuiteResult } from "../../chaos/suite";
import type { StackOutputs } from "../../stacks/outputs";
import { DEPLOY_TIMEOUT_MS, getDeployedStack } from "../support/deployed-stack";

describe("chaos suite 'ci' against the deployed ci stack (docker driver)", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let outputs: StackOutputs;
  let result: SuiteResult;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 600000);
    outputs = await getDeployedStack();
    result = await runSuite(["ci"], {
      outputs,
      reportRoot: path.resolve("reports", "chaos"),
      progress: process.env.TEST_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined,
    });
  });

  it("uses the docker driver on the stack's own containers", () => {
    assert.equal(result.journal.stack.driver, "docker");
    assert.ok(outputs.chaosTargets.nats?.containers?.length, "no nats containers in outputs");
  });

  it("ran every CI experiment (none excluded as not applicable)", () => {
    assert.deepEqual(result.journal.notApplicable, []);
    assert.deepEqual(
      result.journal.experiments.map((e) => e.name),
      SUITES.ci,
    );
  });

  for (const name of SUITES.ci) {
    it(`${name}: passes its gates (zero loss, recovery, no crash, declared state)`, () => {
      const e = result.journal.experiments.find((x) => x.name === name);
      assert.ok(e, `${name} did not run`);
      const failed = [
        ...e.reasons,
        ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`),
      ];
      assert.deepEqual(failed, [], `${name} failed (report ${result.dir}/index.html)`);
      assert.ok(e.ledger!.acked > 0, "no durable message was acked");
    });
  }

  it("NATS restart: the gateway serves again within 2 s of NATS being back", () => {
    const e = result.journal.experiments.find((x) => x.name === "nats-kill-restart")!;
    const m = e.measures!;
    assert.ok(
      m.firstSuccessAfterFaultMs.sync !== undefined && m.firstSuccessAfterFaultMs.sync <= 2000,
      JSON.stringify(m.firstSuccessAfterFaultMs),
    );
    assert.ok(
      m.firstSuccessAfterFaultMs.durable !== undefined && m.firstSuccessAfterFaultMs.durable <= 2000,
      JSON.stringify(m.firstSuccessAfterFaultMs),
    );
  });
});
