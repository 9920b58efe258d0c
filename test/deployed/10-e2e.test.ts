// `npm run validate -- e2e --stack ci` against the `ci` stack the real engine deployed, as a user runs it
// after `npm run up`: the outputs come through `pulumi stack output`. Every E2E check runs in CI inside
// `npm run prove` (test/prove/ci-prove.test.ts); here the command line path runs the subjects group
// (contract subjects, headers, tenant isolation, the durable path), read back from the run's
// summary.json with the containers' logs for the run window.
import assert from "node:assert/strict";
import { ALL_CHECKS } from "../../loadtests/e2e/index";

const SUBJECTS = ALL_CHECKS.filter((c) => c.id.startsWith("subjects."));
import type { RunReport } from "../../loadtests/report/write";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  CliRun,
  getDeployedStack,
  runStackCli,
} from "../support/deployed-stack";

describe("E2E subjects group against the deployed ci stack, through `npm run validate -- e2e --stack`", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let cli: CliRun<RunReport>;
  let report: RunReport;
  let dir: string;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 900000);
    await getDeployedStack();
    cli = await runStackCli<RunReport>("validate", ["e2e", "--only", "subjects."], "summary.json", 900_000);
    ({ result: report, dir } = cli);
  });

  it("read the outputs through the Pulumi CLI, executed the subjects group and exited 0", () => {
    assert.equal(report.e2e?.length, SUBJECTS.length, cli.output.slice(-3000));
    assert.equal(report.stack.name, DEPLOYED_STACK);
    assert.ok(report.logs.length > 0, "container logs bundled in the report");
    assert.equal(cli.code, 0, cli.output.slice(-3000));
  });

  for (const check of SUBJECTS) {
    it(`${check.id}: ${check.title}`, () => {
      const r = report.e2e?.find((x) => x.id === check.id);
      assert.ok(r, `${check.id} did not run`);
      assert.ok(r.passed, `${r.error} (report ${dir}/index.html)`);
    });
  }
});
