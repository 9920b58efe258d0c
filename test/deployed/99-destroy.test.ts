// Last of the deployed suites: `pulumi destroy` of the stack the real engine deployed, then proof through
// the Docker API that no container, network or volume of it remains, and that its state is gone from the
// backend while Pulumi.<stack>.yaml stays.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../../scripts/engine";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  destroyDeployedStack,
  getDeployedStack,
  STATE_DIR,
} from "../support/deployed-stack";

describe("destroy of the deployed ci stack", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);

  it("leaves no container, network or volume of the stack, and no state", async function () {
    this.timeout(DEPLOY_TIMEOUT_MS);
    // Destroy first, even after a failed deploy: what it created must not outlive this suite (the
    // prove suite deploys the same stack name next).
    const outputs = await getDeployedStack().catch((e: Error) => e);
    const left = await destroyDeployedStack();
    assert.deepEqual(left, { containers: [], networks: [], volumes: [] });
    if (outputs instanceof Error) throw outputs;
    assert.ok((outputs.chaosTargets.nats?.volumes ?? []).length > 0, "the stack had volumes to remove");
    const stacks = path.join(STATE_DIR, ".pulumi", "stacks", "proving-ground");
    const files = fs.existsSync(stacks) ? fs.readdirSync(stacks) : [];
    // `stack rm` deletes the checkpoint; the engine keeps its own `.bak` copy of the last one.
    assert.deepEqual(
      files.filter((f) => f === `${DEPLOYED_STACK}.json` || f === `${DEPLOYED_STACK}.json.attrs`),
      [],
      `the state of ${DEPLOYED_STACK} remains in ${stacks}`,
    );
    assert.ok(
      files.includes(`${DEPLOYED_STACK}.json.bak`),
      `no checkpoint of ${DEPLOYED_STACK} was ever in ${stacks}`,
    );
    assert.ok(
      fs.existsSync(path.join(REPO_ROOT, `Pulumi.${DEPLOYED_STACK}.yaml`)),
      "the stack file was removed",
    );
  });
});
