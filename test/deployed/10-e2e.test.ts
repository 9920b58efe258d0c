// The E2E suite (five scenario groups, every check executed) against the `ci` stack the real engine
// deployed, run the way a user runs it: `npm run validate -- e2e --stack ci`, which reads the stack's
// outputs with `pulumi stack output`. NATS and the router are restarted through the docker chaos driver.
// The checks are read back from the run's summary.json; the report (reports/<id>/index.html) keeps the
// containers' logs for the run window.
import assert from "node:assert/strict";
import { ALL_CHECKS } from "../../loadtests/e2e/index";
import type { RunReport } from "../../loadtests/report/write";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  CliRun,
  getDeployedStack,
  runStackCli,
} from "../support/deployed-stack";

describe("E2E suite against the deployed ci stack, through `npm run validate -- e2e --stack`", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let cli: CliRun<RunReport>;
  let report: RunReport;
  let dir: string;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 900000);
    await getDeployedStack();
    cli = await runStackCli<RunReport>("validate", ["e2e"], "summary.json", 900_000);
    ({ result: report, dir } = cli);
  });

  it("read the outputs through the Pulumi CLI, executed every check and exited 0", () => {
    assert.equal(report.e2e?.length, ALL_CHECKS.length, cli.output.slice(-3000));
    assert.equal(report.stack.name, DEPLOYED_STACK);
    assert.ok(report.logs.length > 0, "container logs bundled in the report");
    assert.equal(cli.code, 0, cli.output.slice(-3000));
  });

  for (const check of ALL_CHECKS) {
    it(`${check.id}: ${check.title}`, () => {
      const r = report.e2e?.find((x) => x.id === check.id);
      assert.ok(r, `${check.id} did not run`);
      assert.ok(r.passed, `${r.error} (report ${dir}/index.html)`);
    });
  }
});
