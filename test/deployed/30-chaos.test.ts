// The CI chaos suite against the `ci` stack the real engine deployed, run the way a user runs it:
// `npm run chaos -- ci --stack ci` (outputs through `pulumi stack output`, docker driver): NATS
// kill/restart, router kill, gateway restart, a router partition and a router CPU squeeze, with every gate
// evaluated and read back from the run's journal.json. The rollbacks restore the declared state, so the
// later engine suites and 99-destroy run against an intact stack.
import assert from "node:assert/strict";
import { SUITES } from "../../chaos/experiments";
import type { RunJournal } from "../../chaos/journal";
import type { StackOutputs } from "../../stacks/outputs";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  CliRun,
  getDeployedStack,
  runStackCli,
} from "../support/deployed-stack";

describe("chaos suite 'ci' against the deployed ci stack, through `npm run chaos -- ci --stack`", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let cli: CliRun<RunJournal>;
  let journal: RunJournal;
  let dir: string;
  let outputs: StackOutputs;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 600000);
    outputs = await getDeployedStack();
    cli = await runStackCli<RunJournal>("chaos", ["ci"], "journal.json", 600_000);
    ({ result: journal, dir } = cli);
  });

  it("used the docker driver on the stack's own containers and exited 0", () => {
    assert.equal(journal.stack.driver, "docker");
    assert.equal(journal.stack.stack, DEPLOYED_STACK);
    assert.equal(cli.code, 0, cli.output.slice(-3000));
  });

  it("ran every CI experiment (none excluded as not applicable)", () => {
    assert.deepEqual(journal.notApplicable, []);
    assert.deepEqual(
      journal.experiments.map((e) => e.name),
      SUITES.ci,
    );
  });

  for (const name of SUITES.ci) {
    it(`${name}: passes its gates (zero loss, recovery, no crash, declared state)`, () => {
      const e = journal.experiments.find((x) => x.name === name);
      assert.ok(e, `${name} did not run`);
      const failed = [
        ...e.reasons,
        ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`),
      ];
      assert.deepEqual(failed, [], `${name} failed (report ${dir}/index.html)`);
      assert.ok(e.ledger!.acked > 0, "no durable message was acked");
    });
  }

  it("cpu-squeeze: the tail verdict names the throttling of the squeezed router, from the Docker stats", () => {
    const e = journal.experiments.find((x) => x.name === "cpu-squeeze")!;
    // cpu-squeeze lowers router[0]'s limit (chaos/experiments/resources.ts).
    const squeezed = outputs.chaosTargets.router!.containers![0];
    assert.equal(e.resourceSource, "docker");
    const r = e.resources!.find((x) => x.instance === squeezed)!;
    assert.ok(r, `no resource series for ${squeezed}`);
    assert.ok((r.throttledMsPerS ?? 0) > 0, `${squeezed} was throttled`);
    assert.match(
      e.tail?.verdict ?? `no verdict: ${e.tail?.reason}`,
      new RegExp(`coincide with throttling of ${squeezed} `),
      `report ${dir}/index.html`,
    );
  });

  it("NATS restart: the gateway serves again within 2 s of NATS being back", () => {
    const e = journal.experiments.find((x) => x.name === "nats-kill-restart")!;
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
