// The YAML consumer (examples/yaml-consumer/: a program in another language than the components) on the
// components served as a Pulumi component package, deployed and destroyed by the real engine: the YAML
// language host built from its Go module (scripts/build-yaml-host.sh, cached), the package
// (examples/yaml-consumer/component-package/) installed with npm on the packed @proving-ground/components
// tarball, the program copied out of the repository without its `packages` entry, `pulumi package add
// <component-package>` run on the copy as a user would (it writes the package declaration and records the
// package in Pulumi.yaml), `up` (the CLI runs the TypeScript package through the Node.js language host,
// which infers its schema from the Args types), no change planned right after it, the NATS node healthy and
// a client connected with the stack's credentials (and refused with a wrong password), then `destroy`, the
// stack removed from the backend and nothing of it left in Docker. The `after` hook destroys whatever a
// failed step left.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";
import { connect } from "nats";
import type { Stack } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import { engineEnv, openStack, REPO_ROOT, removeStack } from "../../scripts/engine";
import { listStackObjects, removeStackObjects } from "../../scripts/stack-objects";
import { outputValues } from "../support/deployed-stack";
import { installPackedComponents, stackCheckpointFiles, timedRun } from "../support/packed-components";

const run = promisify(execFile);

const EXAMPLE_DIR = path.join(REPO_ROOT, "examples", "yaml-consumer");
const PACKAGE_DIR = path.join(EXAMPLE_DIR, "component-package");
const PACKAGE = "beamline-nats";
const PROJECT = "yaml-consumer";
const STACK = "ci";
/** The package labels every Docker object `<project>-<stack>`; the test names them the same. */
const OBJECTS = `${PROJECT}-${STACK}`;
/** The program's copy (the repository's example stays as committed) and its own backend, under .ci-out/. */
const WORK_DIR = path.join(REPO_ROOT, ".ci-out", "yaml-example", "program");
const STATE_DIR = path.join(REPO_ROOT, ".ci-out", "yaml-example", "state");
const ENGINE = { stack: STACK, workDir: WORK_DIR, stateDir: STATE_DIR };
/** Built by `npm run build:ci-images` (nothing can be pulled here). */
const NATS_IMAGE = "proving-ground/nats:ci";
const USER = "platform";

interface YamlOutputs {
  natsUrl: string;
  natsHostUrls: string[];
  natsMonitorUrls: string[];
  networkName: string;
  containerNames: string[];
  volumeNames: string[];
  stackLabel: string;
}

const checkpointFiles = () => stackCheckpointFiles(STATE_DIR, PROJECT, STACK);

describe("YAML consumer examples/yaml-consumer: component package via `pulumi package add`, real engine, up, answer, destroy", function () {
  this.timeout(900_000);
  const docker = new Docker();
  const password = crypto.randomBytes(18).toString("base64url");
  const seconds: Record<string, number> = {};
  let stack: Stack | undefined;
  let outputs: YamlOutputs | undefined;
  let destroyed = false;

  before(async function () {
    this.timeout(900_000);
    // The YAML host: cached after the CI toolchain phase built it; a cold build takes 100-200 s.
    const built = await run("bash", [path.join(REPO_ROOT, "scripts", "build-yaml-host.sh")], {
      timeout: 600_000,
    });
    const host = built.stdout.trim();
    assert.ok(fs.existsSync(path.join(host, "pulumi-language-yaml")), `no pulumi-language-yaml in ${host}`);
    process.env.PATH = `${host}:${process.env.PATH}`;

    // What an interrupted earlier run left: its containers, network and volume (fixed names), its state.
    const leftovers = await removeStackObjects(OBJECTS, docker);
    if (leftovers > 0) process.stderr.write(`      removed ${leftovers} objects left by an earlier run\n`);
    fs.rmSync(path.dirname(WORK_DIR), { recursive: true, force: true });
    fs.mkdirSync(WORK_DIR, { recursive: true });

    // The component package on the packed npm package, installed from its tarball as a team would.
    Object.assign(seconds, await installPackedComponents(PACKAGE_DIR));

    // The engine caches a package's schema by name and version ($PULUMI_HOME/schemas/<name>-<version>.json)
    // and never asks a source-based package again: drop it, so that this run serves the current Args.
    const version = JSON.parse(fs.readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).version;
    const pulumiHome = process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    fs.rmSync(path.join(pulumiHome, "schemas", `${PACKAGE}-${version}.json`), { force: true });

    // The program without its package entry and declaration: `pulumi package add` must write both.
    const program = YAML.parse(fs.readFileSync(path.join(EXAMPLE_DIR, "Pulumi.yaml"), "utf8"));
    assert.deepEqual(
      program.packages,
      { [PACKAGE]: "./component-package" },
      "the example records its package",
    );
    delete program.packages;
    fs.writeFileSync(path.join(WORK_DIR, "Pulumi.yaml"), YAML.stringify(program));
    seconds.packageAdd = await timedRun("pulumi", ["package", "add", PACKAGE_DIR], {
      cwd: WORK_DIR,
      timeoutMs: 300_000,
      env: engineEnv(ENGINE),
    });
    const after = YAML.parse(fs.readFileSync(path.join(WORK_DIR, "Pulumi.yaml"), "utf8"));
    assert.deepEqual(
      after.packages,
      { [PACKAGE]: PACKAGE_DIR },
      "package add records the package in Pulumi.yaml",
    );
    const decl = YAML.parse(
      fs.readFileSync(path.join(WORK_DIR, "sdks", PACKAGE, `${PACKAGE}-${version}.yaml`), "utf8"),
    );
    assert.deepEqual(decl, { packageDeclarationVersion: 1, name: PACKAGE, version });

    stack = await openStack(ENGINE);
    await stack.setAllConfig({
      namePrefix: { value: OBJECTS },
      natsImage: { value: NATS_IMAGE },
      natsPassword: { value: password, secret: true },
    });
    let log = "";
    const t0 = Date.now();
    const res = await stack.up({ color: "never", onOutput: (s) => (log += s) }).catch((e: Error) => {
      throw new Error(`up of the YAML example failed:\n${log.slice(-4000)}\n${e.message}`);
    });
    seconds.up = (Date.now() - t0) / 1000;
    outputs = outputValues(res.outputs) as unknown as YamlOutputs;
  });

  it("the engine built the package's component over the NatsCluster of @proving-ground/components", async function () {
    const deployment = await stack!.exportStack();
    const types = (deployment.deployment.resources as { type: string }[]).map((r) => r.type).sort();
    assert.deepEqual(
      types.filter((t) => !t.startsWith("pulumi:")),
      [
        "beamline-nats:index:NatsCluster",
        "docker:index/container:Container",
        "docker:index/network:Network",
        "docker:index/volume:Volume",
        "proving-ground:components:NatsCluster",
      ],
    );
    assert.ok(types.includes("pulumi:providers:docker"), types.join(", "));
  });

  it("its Docker objects are the outputs' names, labelled with the program's project and stack", async function () {
    const o = outputs!;
    assert.equal(o.stackLabel, `proving-ground.stack=${OBJECTS}`);
    assert.deepEqual(await listStackObjects(OBJECTS, docker), {
      containers: [`${OBJECTS}-nats-0`],
      networks: [OBJECTS],
      volumes: [`${OBJECTS}-nats-0-data`],
    });
    assert.deepEqual(o.containerNames, [`${OBJECTS}-nats-0`]);
    assert.deepEqual(o.volumeNames, [`${OBJECTS}-nats-0-data`]);
    assert.equal(o.networkName, OBJECTS);
    assert.equal(o.natsUrl, "nats://nats-0:4222");
  });

  it("no change is planned right after `up`", async function () {
    const t0 = Date.now();
    const preview = await stack!.preview({ color: "never" });
    seconds.preview = (Date.now() - t0) / 1000;
    const changes = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    assert.deepEqual(changes, [], preview.stdout.slice(-3000));
  });

  it("the NATS node is healthy with JetStream, and a client connects with the stack's credentials only", async function () {
    const o = outputs!;
    const info = await docker.getContainer(o.containerNames[0]).inspect();
    assert.equal(info.State.Health?.Status, "healthy", JSON.stringify(info.State.Health?.Log?.at(-1)));
    const health = await fetch(`${o.natsMonitorUrls[0]}/healthz?js-enabled-only=true`);
    assert.equal(health.status, 200);

    const nc = await connect({ servers: o.natsHostUrls, user: USER, pass: password, timeout: 5000 });
    try {
      const sub = nc.subscribe("yaml.example.echo");
      (async () => {
        for await (const m of sub) m.respond(m.data);
      })();
      const reply = await nc.request("yaml.example.echo", new TextEncoder().encode("ping"), {
        timeout: 5000,
      });
      assert.equal(new TextDecoder().decode(reply.data), "ping");
      const js = await nc.jetstreamManager();
      assert.ok((await js.getAccountInfo()).limits !== undefined, "JetStream answers");
    } finally {
      await nc.close();
    }
    await assert.rejects(
      connect({
        servers: o.natsHostUrls,
        user: USER,
        pass: `${password}-wrong`,
        timeout: 5000,
        reconnect: false,
      }),
      /Authorization Violation/i,
    );
  });

  it("`destroy` removes every Docker object, then the stack leaves the backend", async function () {
    const t0 = Date.now();
    await stack!.destroy({ color: "never" });
    seconds.destroy = (Date.now() - t0) / 1000;
    destroyed = true;
    assert.deepEqual(await listStackObjects(OBJECTS, docker), { containers: [], networks: [], volumes: [] });
    await removeStack(stack!, { preserveConfig: false });
    assert.ok(
      !(await stack!.workspace.listStacks()).some((s) => s.name === STACK),
      "the stack is still listed",
    );
    // `stack rm` deletes the checkpoint and its attributes; the engine keeps its own `.bak` copies.
    const files = checkpointFiles();
    assert.deepEqual(
      files.filter((f) => f === `${STACK}.json` || f === `${STACK}.json.attrs`),
      [],
      `the state of the YAML example remains in ${STATE_DIR}`,
    );
    assert.ok(files.includes(`${STACK}.json.bak`), "no checkpoint of the YAML example was ever written");
    process.stderr.write(
      `      YAML example seconds: ${Object.entries(seconds)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(", ")}\n`,
    );
  });

  after(async function () {
    this.timeout(300_000);
    if (stack && !destroyed) {
      await stack
        .destroy({ color: "never" })
        .catch((e: Error) => process.stderr.write(`      destroy: ${e.message}\n`));
      await removeStack(stack, { preserveConfig: false }).catch(() => undefined);
    }
    const left = await removeStackObjects(OBJECTS, docker);
    if (left > 0) process.stderr.write(`      removed ${left} objects the YAML example left\n`);
  });
});
