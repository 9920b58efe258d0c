// What only a real engine can show, on the deployed `ci` stack: drift found by `refresh` and repaired by
// `up`; a config change previewed as exactly the expected steps (from the engine's structured events),
// applied, and serving; the policy pack loaded by the engine, passing the ci preview and failing a program
// that breaks a mandatory policy; and a preview of every other stack file whose providers exist here.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import type { RunReport } from "../../loadtests/report/write";
import { openStack, plannedOperations, REPO_ROOT, removeStack, urnTypeName } from "../../scripts/engine";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  getDeployedStack,
  getEngineStack,
  outputValues,
  runStackCli,
  STATE_DIR,
} from "../support/deployed-stack";

const POLICY_PACK = path.join(REPO_ROOT, "policy");
const CONTAINER = "docker:index/container:Container";

/** Type::name → operation for the steps a preview or update plans (`same` left out). */
function steps(events: EngineEvent[]): Record<string, string> {
  return Object.fromEntries([...plannedOperations(events)].map(([urn, op]) => [urnTypeName(urn), op]));
}

describe("the real engine on the deployed ci stack: drift, config change, policy pack", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  const docker = new Docker();

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS);
    await getDeployedStack();
  });

  it("drift: a container removed out of band is reported by refresh and restored by up", async function () {
    this.timeout(300_000);
    const stack = await getEngineStack();
    const outputs = outputValues(await stack.outputs());
    const router = outputs.chaosTargets.router!.containers![0];
    await docker.getContainer(router).remove({ force: true });

    const refresh = await stack.refresh({ color: "never" });
    assert.equal(refresh.summary.resourceChanges?.delete, 1, JSON.stringify(refresh.summary.resourceChanges));

    const events: EngineEvent[] = [];
    const up = await stack.up({ color: "never", onEvent: (e) => events.push(e) });
    assert.deepEqual(steps(events), { [`${CONTAINER}::router-0`]: "create" });
    assert.equal(up.summary.resourceChanges?.create, 1);
    const info = await docker.getContainer(router).inspect();
    assert.equal(info.State.Health?.Status, "healthy", "the restored router is health-gated again");
  });

  it("config change: routerReplicas 1 -> 2 and the gateway's router timeout, previewed step by step, applied and serving", async function () {
    this.timeout(600_000);
    const stack = await getEngineStack();
    // A changed copy of the stack file (with its encryptionsalt), so the committed one is never edited.
    const file = path.join(STATE_DIR, `Pulumi.${DEPLOYED_STACK}.changed.yaml`);
    const doc = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${DEPLOYED_STACK}.yaml`), "utf8"));
    doc.config["proving-ground:routerReplicas"] = 2;
    doc.config["proving-ground:gatewayRequestTimeoutMs"] = 2000;
    fs.writeFileSync(file, YAML.stringify(doc));

    const previewed: EngineEvent[] = [];
    await stack.preview({ configFile: file, color: "never", onEvent: (e) => previewed.push(e) });
    const expected = {
      // The second router: one create.
      [`${CONTAINER}::router-1`]: "create",
      // A container's environment cannot change in place: the gateway is replaced (deleteBeforeReplace).
      [`${CONTAINER}::gateway-0`]: "replace",
      // prometheus.yml now lists two routers: uploaded files are part of the container, so it is replaced.
      [`${CONTAINER}::observability-prometheus`]: "replace",
    };
    assert.deepEqual(steps(previewed), expected);

    const applied: EngineEvent[] = [];
    const up = await stack.up({ configFile: file, color: "never", onEvent: (e) => applied.push(e) });
    assert.deepEqual(steps(applied), expected);
    const out = outputValues(up.outputs);
    assert.equal(out.routerMetricsUrls.length, 2);
    assert.equal(out.chaosTargets.router?.containers?.length, 2);

    // Serving after the change, idempotent across the two routers, and with the new timeout: a router
    // reply 1.5 s past 2000 ms is a 504 at 2000 ms (the old 5000 ms timeout would answer 200).
    const smoke = await runStackCli<RunReport>(
      "validate",
      [
        "e2e",
        "--gateway-timeout-ms",
        "2000",
        "--only",
        "subjects.decide-subject,subjects.durable-decision-lookup,timeouts.over,errors.router.idempotency-across-routers",
      ],
      "summary.json",
      300_000,
    );
    assert.equal(smoke.code, 0, smoke.output.slice(-3000));
    assert.deepEqual(smoke.result.e2e?.map((c) => [c.id, c.passed]).sort(), [
      // Two routers now: repeats answered by the other router from the shared record (its metrics).
      ["errors.router.idempotency-across-routers", true],
      ["subjects.decide-subject", true],
      ["subjects.durable-decision-lookup", true],
      ["timeouts.over", true],
    ]);
  });

  it("policy pack: the engine runs it on the ci preview, which passes", async function () {
    this.timeout(300_000);
    const stack = await getEngineStack();
    const preview = await stack.preview({ policyPacks: [POLICY_PACK], color: "never" });
    assert.match(preview.stdout, /proving-ground-guardrails/);
  });

  it("policy pack: a container without limits fails the preview, naming the mandatory policy", async function () {
    this.timeout(300_000);
    const dir = path.join(REPO_ROOT, "test", "deployed", "fixtures", "unlimited-container");
    const stack = await openStack({ stack: "policy-check", stateDir: STATE_DIR, workDir: dir });
    try {
      const failed = await stack.preview({ policyPacks: [POLICY_PACK], color: "never" }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(failed, "the preview passed");
      assert.match(failed.message, /container-resource-limits/);
      assert.match(failed.message, /mandatory/);
    } finally {
      await removeStack(stack, { preserveConfig: false });
    }
  });

  it("preview of the default dev stack file (public images, 3-node NATS) plans its whole environment", async function () {
    this.timeout(300_000);
    const stackFile = path.join(REPO_ROOT, "Pulumi.dev.yaml");
    const before = fs.readFileSync(stackFile, "utf8");
    const stack = await openStack({ stack: "dev", stateDir: STATE_DIR });
    try {
      // `stack init` writes an encryptionsalt into a stack file that has none; keep the committed file.
      fs.writeFileSync(stackFile, before);
      const events: EngineEvent[] = [];
      const preview = await stack.preview({ color: "never", onEvent: (e) => events.push(e) });
      const planned = steps(events);
      const creates = Object.entries(planned).filter(([, op]) => op === "create");
      assert.equal(creates.length, Object.keys(planned).length, JSON.stringify(planned));
      for (const name of ["nats-0", "nats-1", "nats-2", "observability-grafana", "gateway-0", "router-0"]) {
        assert.ok(
          planned[`${CONTAINER}::${name}`],
          `${name} not planned: ${Object.keys(planned).join(", ")}`,
        );
      }
      assert.doesNotMatch(preview.stdout, /warning:/i);
    } finally {
      await removeStack(stack);
      fs.writeFileSync(stackFile, before);
    }
  });
});
