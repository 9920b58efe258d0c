// `npm run chaos -- cpu-squeeze --stack ci` against the `ci` stack the real engine deployed, as a user runs
// it after `npm run up`: outputs through `pulumi stack output`, docker driver. The whole CI chaos suite
// runs inside `npm run prove` (test/prove/ci-prove.test.ts); here the command line path runs one
// experiment, read back from the run's journal.json: its gates, and the tail verdict naming the squeezed
// router's throttling. The rollback restores the declared state, so the later engine suites and
// 99-destroy run against an intact stack.
import assert from "node:assert/strict";
import type { RunJournal } from "../../chaos/journal";
import type { StackOutputs } from "../../stacks/outputs";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  CliRun,
  getDeployedStack,
  runStackCli,
} from "../support/deployed-stack";

describe("chaos experiment cpu-squeeze against the deployed ci stack, through `npm run chaos -- <experiment> --stack`", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  let cli: CliRun<RunJournal>;
  let journal: RunJournal;
  let dir: string;
  let outputs: StackOutputs;

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS + 300000);
    outputs = await getDeployedStack();
    cli = await runStackCli<RunJournal>("chaos", ["cpu-squeeze"], "journal.json", 300_000);
    ({ result: journal, dir } = cli);
  });

  it("used the docker driver on the stack's own containers, ran the experiment and exited 0", () => {
    assert.equal(journal.stack.driver, "docker");
    assert.equal(journal.stack.stack, DEPLOYED_STACK);
    assert.deepEqual(
      journal.experiments.map((e) => e.name),
      ["cpu-squeeze"],
    );
    assert.equal(cli.code, 0, cli.output.slice(-3000));
  });

  it("cpu-squeeze: passes its gates (zero loss, recovery, no crash, declared state)", () => {
    const e = journal.experiments[0];
    assert.deepEqual(
      [...e.reasons, ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`)],
      [],
      `report ${dir}/index.html`,
    );
    assert.ok(e.ledger!.acked > 0, "no durable message was acked");
  });

  it("cpu-squeeze: the tail verdict names the squeezed router (its throttling, or the event-loop delay it causes), from the Docker stats", () => {
    const e = journal.experiments[0];
    // cpu-squeeze lowers router[0]'s limit (chaos/experiments/resources.ts).
    const squeezed = outputs.chaosTargets.router!.containers![0];
    assert.equal(e.resourceSource, "docker");
    const r = e.resources!.find((x) => x.instance === squeezed);
    assert.ok(r, `no resource series for ${squeezed}`);
    assert.ok((r.throttledMsPerS ?? 0) > 0, `${squeezed} was throttled`);
    // Throttling is named first when it correlates (r >= 0.5). In one CI run the latency stayed high a few
    // windows after the quota ended (a backlog), throttling correlated at r = 0.39 and the verdict named
    // the same router's event-loop delay (r = 0.81, 7 of 9 slow windows): the symptom of the same cause.
    const verdict = e.tail?.verdict ?? `no verdict: ${e.tail?.reason}`;
    assert.match(
      verdict,
      new RegExp(`coincide with (throttling|event-loop delay) of ${squeezed} `),
      `${verdict}; report ${dir}/index.html`,
    );
  });
});
