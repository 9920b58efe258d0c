// The example consumer (examples/nats-and-router/: a platform team's own program on the packed npm package
// @proving-ground/components) deployed and destroyed by the real engine: the package packed (or the
// tarball this run already packed reused), installed into the example folder with npm as a user would,
// the router image built from services/router/Dockerfile on the CI base image (nothing can be pulled
// here), `up` through the Automation API on the example folder, no change planned right after it, a
// decide request answered by the router over the published NATS port with the stack's credentials, then
// `destroy`, the stack removed from the backend and nothing of it left in Docker. The `after` hook
// destroys whatever a failed step left.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { connect, type NatsConnection } from "nats";
import type { Stack } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import { openStack, REPO_ROOT, removeStack } from "../../scripts/engine";
import { listStackObjects, removeStackObjects, type StackObjects } from "../../scripts/stack-objects";
import { SUBJECTS, type RouteRequest, type RouterReply } from "../../services/common/contract";
import { waitFor } from "../../tooling/local/wait";
import { outputValues } from "../support/deployed-stack";
import { installPackedComponents, stackCheckpointFiles, timedRun } from "../support/packed-components";

const EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "nats-and-router");
const PROJECT = "nats-and-router";
const STACK = "ci";
/** The example names its Docker objects and labels them `<project>-<stack>`. */
const OBJECTS = `${PROJECT}-${STACK}`;
/** A backend of its own under .ci-out/: the deployed ci stack's backend is checked by 99-destroy. */
const STATE_DIR = path.join(REPO_ROOT, ".ci-out", "example-state");
const ENGINE = { stack: STACK, workDir: EXAMPLE_DIR, stateDir: STATE_DIR };
const STACK_FILE = path.join(EXAMPLE_DIR, `Pulumi.${STACK}.yaml`);
/** What examples/nats-and-router/Pulumi.ci.yaml names as the team's router image. */
const ROUTER_IMAGE = "proving-ground/router:example";
const BASE_IMAGE = "proving-ground/base:bookworm";

interface ExampleOutputs {
  natsUrl: string;
  natsUser: string;
  natsPassword: string;
  routerContainer: string;
  stackLabel: string;
}

const checkpointFiles = () => stackCheckpointFiles(STATE_DIR, PROJECT, STACK);

describe("example consumer examples/nats-and-router: packed components, real engine, up, answer, destroy", function () {
  this.timeout(900_000);
  const docker = new Docker();
  const seconds: Record<string, number> = {};
  let stack: Stack | undefined;
  let outputs: ExampleOutputs | undefined;
  let stackFileBefore = "";
  let destroyed = false;

  before(async function () {
    this.timeout(900_000);
    stackFileBefore = fs.readFileSync(STACK_FILE, "utf8");
    // What an interrupted earlier run left: containers with fixed names and a host port, and its state.
    const leftovers = await removeStackObjects(OBJECTS, docker);
    if (leftovers > 0) process.stderr.write(`      removed ${leftovers} objects left by an earlier run\n`);
    for (const f of checkpointFiles()) fs.rmSync(path.join(STATE_DIR, ".pulumi", "stacks", PROJECT, f));

    // The package from its tarball, as a team installs it.
    Object.assign(seconds, await installPackedComponents(EXAMPLE_DIR));

    // The team's router image: the repository's Dockerfile on the CI base (its bundle from `npm run build`).
    if (!fs.existsSync(path.join(REPO_ROOT, "dist", "router.js"))) {
      await timedRun("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
    }
    seconds.image = await timedRun(
      "docker",
      [
        "build",
        "-q",
        "--build-arg",
        `BASE_IMAGE=${BASE_IMAGE}`,
        "-f",
        "services/router/Dockerfile",
        "-t",
        ROUTER_IMAGE,
        ".",
      ],
      // The legacy builder, as scripts/build-ci-images.sh uses it: no buildx plugin needed.
      { cwd: REPO_ROOT, timeoutMs: 300_000, env: { DOCKER_BUILDKIT: "0" } },
    );

    stack = await openStack(ENGINE);
    let log = "";
    const t0 = Date.now();
    const res = await stack.up({ color: "never", onOutput: (s) => (log += s) }).catch((e: Error) => {
      throw new Error(`up of the example failed:\n${log.slice(-4000)}\n${e.message}`);
    });
    seconds.up = (Date.now() - t0) / 1000;
    outputs = outputValues(res.outputs) as unknown as ExampleOutputs;
  });

  it("built NATS and the router on a network of their own, labelled, NATS's client port published on 127.0.0.1 only", async function () {
    const o = outputs!;
    assert.equal(o.stackLabel, `proving-ground.stack=${OBJECTS}`);
    const objects = await listStackObjects(OBJECTS, docker);
    assert.deepEqual(objects, {
      containers: [`${OBJECTS}-nats-0`, `${OBJECTS}-router-0`],
      networks: [OBJECTS],
      volumes: [`${OBJECTS}-nats-0-data`],
    });
    assert.equal(o.routerContainer, `${OBJECTS}-router-0`);
    const port = Number(YAML.parse(stackFileBefore).config[`${PROJECT}:natsHostPort`]);
    assert.ok(Number.isInteger(port), "Pulumi.ci.yaml sets natsHostPort");
    assert.equal(o.natsUrl, `nats://127.0.0.1:${port}`);

    const nats = await docker.getContainer(`${OBJECTS}-nats-0`).inspect();
    assert.deepEqual(nats.HostConfig.PortBindings, {
      "4222/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }],
    });
    const router = await docker.getContainer(o.routerContainer).inspect();
    assert.deepEqual(router.HostConfig.PortBindings ?? {}, {}, "the router publishes nothing");
    assert.equal(
      router.Config.Image,
      (await docker.getImage(ROUTER_IMAGE).inspect()).Id,
      "the configured image",
    );
    for (const c of [nats, router]) {
      assert.deepEqual(
        Object.keys(c.NetworkSettings.Networks),
        [OBJECTS],
        `${c.Name}: only the example's network`,
      );
      assert.equal(c.State.Health?.Status, "healthy", `${c.Name} health`);
    }
  });

  it("plans no change right after up (preview --expect-no-changes)", async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    const res = await stack!.preview({ color: "never", expectNoChanges: true });
    seconds.preview = (Date.now() - t0) / 1000;
    const changed = Object.entries(res.changeSummary).filter(([op, n]) => op !== "same" && n > 0);
    assert.deepEqual(changed, [], JSON.stringify(res.changeSummary));
  });

  it("the router decides a RouteRequest sent over the published NATS port with the stack's credentials", async function () {
    this.timeout(120_000);
    const o = outputs!;
    const t0 = Date.now();
    const nc: NatsConnection = await connect({
      servers: o.natsUrl.split(","),
      user: o.natsUser,
      pass: o.natsPassword,
      name: "example-consumer-test",
      timeout: 5000,
    });
    try {
      const request: RouteRequest = {
        version: "1",
        tenant_id: "example-tenant",
        request_id: `example-${Date.now()}`,
        task: { type: "text.generate", payload: { prompt: "hello from the example" } },
      };
      // The router is healthy once it serves HTTP; its decide subscription may follow a moment later:
      // "no responders" until then.
      const reply = await waitFor(
        "a reply on the decide subject",
        async () => {
          const m = await nc.request(SUBJECTS.decide, JSON.stringify(request), { timeout: 5000 });
          return JSON.parse(m.string()) as RouterReply;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.ok(reply.ok && ["p1", "p2", "p3"].includes(reply.decision.provider_id), JSON.stringify(reply));
      assert.equal(reply.context.request_id, request.request_id);
    } finally {
      await nc.close();
    }
    // Wrong credentials are refused: the published port is not open to anyone on the host.
    await assert.rejects(
      connect({
        servers: o.natsUrl.split(","),
        user: o.natsUser,
        pass: "wrong",
        timeout: 5000,
        reconnect: false,
      }),
      /Authorization Violation/i,
    );
    seconds.check = (Date.now() - t0) / 1000;
  });

  it("destroy leaves no container, network or volume of it, and removes the stack from the backend", async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    await stack!.destroy({ color: "never" });
    seconds.destroy = (Date.now() - t0) / 1000;
    destroyed = true;
    await removeStack(stack!);
    const left: StackObjects = await listStackObjects(OBJECTS, docker);
    assert.deepEqual(left, { containers: [], networks: [], volumes: [] });
    // `stack rm` deletes the checkpoint and its attributes; the engine keeps its own `.bak` copies.
    const files = checkpointFiles();
    assert.deepEqual(
      files.filter((f) => f === `${STACK}.json` || f === `${STACK}.json.attrs`),
      [],
      `the state of the example remains in ${STATE_DIR}`,
    );
    assert.ok(files.includes(`${STACK}.json.bak`), "no checkpoint of the example was ever written");
    assert.equal(fs.readFileSync(STACK_FILE, "utf8"), stackFileBefore, "the engine rewrote Pulumi.ci.yaml");
  });

  after(async function () {
    this.timeout(600_000);
    // A failed step: destroy what the engine made, then whatever Docker still has, then the state.
    if (!destroyed) {
      try {
        const s = stack ?? (await openStack(ENGINE));
        await s.destroy({ color: "never" });
        await removeStack(s);
      } catch (e) {
        process.stderr.write(`      example cleanup: ${(e as Error).message.slice(0, 2000)}\n`);
      }
      await removeStackObjects(OBJECTS, docker);
    }
    const shown = Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(1)} s`);
    process.stderr.write(`      example nats-and-router: ${shown.join(", ")}\n`);
  });
});
