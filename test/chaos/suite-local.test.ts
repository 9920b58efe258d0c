// The short chaos suite against a real loopback stack with the process driver: NATS kill/restart, router
// kill, gateway restart and a frozen router, each under open-model load on both paths, with every gate
// evaluated (zero lost acked messages, recovery bounds, no crashed service, declared state).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createDriver } from "../../tooling/drivers";
import { SUITES } from "../../chaos/experiments";
import { runSuite, SuiteResult } from "../../chaos/suite";
import { LocalStack, startLocalStack } from "../../loadtests/local-stack";

describe("chaos suite 'local' against startLocalStack() (process driver)", function () {
  this.timeout(600000);
  let stack: LocalStack;
  let result: SuiteResult;

  before(async () => {
    stack = await startLocalStack({ routers: 1 });
    result = await runSuite(["local"], {
      outputs: stack.outputs,
      reportRoot: path.resolve("reports", "chaos"),
      progress: process.env.TEST_VERBOSE ? (l) => process.stderr.write(`${l}\n`) : undefined,
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it("ran every experiment of the suite with every gate evaluated", () => {
    assert.deepEqual(
      result.journal.experiments.map((e) => e.name),
      SUITES.local,
    );
    for (const e of result.journal.experiments) {
      assert.equal(e.gates.length, e.definition.gates.length, e.name);
      assert.ok(
        e.requests.some((r) => r.path === "sync") && e.requests.some((r) => r.path === "durable"),
        e.name,
      );
      assert.ok(e.probes.length >= 5, `${e.name}: ${e.probes.length} probes`);
    }
  });

  for (const name of SUITES.local) {
    it(`${name}: passes its gates (zero loss, recovery, no crash, declared state)`, () => {
      const e = result.journal.experiments.find((x) => x.name === name);
      assert.ok(e, `${name} did not run`);
      const failed = [
        ...e.reasons,
        ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`),
      ];
      assert.deepEqual(failed, [], `${name} failed (report ${result.dir}/index.html)`);
      assert.equal(e.status, "passed");
      assert.ok(e.ledger!.acked > 0, "no durable message was acked");
    });
  }

  it("wrote the journal and the HTML report", () => {
    const journal = JSON.parse(fs.readFileSync(path.join(result.dir, "journal.json"), "utf8"));
    assert.equal(journal.experiments.length, SUITES.local.length);
    const html = fs.readFileSync(path.join(result.dir, "index.html"), "utf8");
    for (const n of SUITES.local) assert.ok(html.includes(`id="${n}"`), n);
  });

  it("left every process of the stack running", async () => {
    const d = createDriver(stack.outputs);
    for (const role of ["nats", "router", "gateway"] as const) {
      assert.ok((await d.running(role)).every(Boolean), role);
    }
  });
});
