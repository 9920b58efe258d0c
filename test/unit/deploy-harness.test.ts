// Self-test of the deploy harness against the real dockerd: deploys test/deploy/fixtures/basic (network,
// volume, a server container with upload + health check + wait, a locally built image, a one-shot job),
// checks the live objects against the outputs, then `down` must leave nothing behind.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { HARNESS_LABEL } from "../deploy/labels";
import { runCli } from "../deploy/run-cli";
import { isEmpty, listStackObjects } from "../deploy/teardown";

const STACK = "selftest";
const FIXTURE = path.join(__dirname, "..", "deploy", "fixtures", "basic");

describe("deploy harness on dockerd (fixture program)", function () {
  this.timeout(180_000);
  const docker = new Docker();
  const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pg-harness-")), "outputs.json");
  let out: Record<string, unknown>;

  before(async () => {
    const res = await runCli(["up", "--stack", STACK, "--dir", FIXTURE, "--outputs", outFile]);
    assert.equal(res.code, 0, `up failed:\n${res.output}`);
    out = JSON.parse(fs.readFileSync(outFile, "utf8"));
  });

  after(async () => {
    await runCli(["down", "--stack", STACK]);
  });

  it("starts the server healthy, with its upload, env, volume, limits and a loopback-only port", async () => {
    const info = await docker.getContainer(out.webName as string).inspect();
    assert.equal(info.State.Health?.Status, "healthy");
    assert.equal(info.Config.Labels[HARNESS_LABEL], STACK);
    assert.equal(info.HostConfig.Memory, 128 * 1024 * 1024);
    assert.deepEqual(info.HostConfig.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 2 });
    assert.equal(info.NetworkSettings.Networks[out.networkName as string].IPAddress, out.webIp);
    assert.deepEqual(Object.keys(info.NetworkSettings.Networks), [out.networkName]);
    assert.ok(info.Mounts.some((m) => m.Name === out.volumeName && m.Destination === "/data"));
    const bound = info.NetworkSettings.Ports["8080/tcp"];
    assert.equal(bound?.[0].HostIp, "127.0.0.1");
    const res = await fetch(out.webUrl as string);
    // helper.sh was uploaded with executable: true (the provider's 0744).
    assert.deepEqual(await res.json(), {
      greeting: "hello from the fixture",
      passwordLength: 20,
      helperMode: "744",
    });
    assert.equal((out.passwordValue as string).length, 20);
  });

  it("runs the one-shot job from the locally built image and returns its exit code and logs", async () => {
    assert.equal(out.probeExitCode, 0);
    assert.match(out.probeLogs as string, /"greeting":"hello from the fixture"[\s\S]*probe done/);
    assert.equal(out.probeImageRef, `proving-ground/harness-probe:${STACK}`);
    const img = await docker.getImage(out.probeImageRef as string).inspect();
    assert.equal(img.Config.Labels?.[HARNESS_LABEL], STACK);
  });

  it("labels the volume even though the program set no label on it", async () => {
    const v = await docker.getVolume(out.volumeName as string).inspect();
    assert.equal(v.Labels?.[HARNESS_LABEL], STACK);
  });

  it("down removes every container, network and volume of the stack", async () => {
    const before = await listStackObjects(docker, STACK);
    assert.equal(before.containers.length, 2);
    const res = await runCli(["down", "--stack", STACK]);
    assert.equal(res.code, 0, res.output);
    assert.ok(isEmpty(await listStackObjects(docker, STACK)));
  });
});

describe("deploy harness failures", function () {
  this.timeout(90_000);
  const docker = new Docker();

  /** Deploys a one-file program (which may use `docker`) as `stack`, then removes what it made. */
  async function deployProgram(stack: string, body: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-harness-bad-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bad\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "config: {}\n");
    fs.writeFileSync(
      path.join(dir, "index.ts"),
      `import * as docker from "${require.resolve("@pulumi/docker")}";\n${body}\n`,
    );
    try {
      return await runCli(["up", "--stack", stack, "--dir", dir]);
    } finally {
      await runCli(["down", "--stack", stack]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("fails clearly when an image is not present locally (never pulls)", async () => {
    const res = await deployProgram(
      "selftest-badimage",
      `export const id = new docker.RemoteImage("img", { name: "proving-ground/does-not-exist:1" }).imageId;`,
    );
    assert.equal(res.code, 1);
    assert.match(
      res.output,
      /RemoteImage proving-ground\/does-not-exist:1: not present in the local image store/,
    );
  });

  it("fails a wait: true container that turns unhealthy, showing its health probes and logs", async () => {
    const res = await deployProgram(
      "selftest-unhealthy",
      `export const id = new docker.Container("sick", {
        name: "pg-selftest-unhealthy-sick",
        image: "proving-ground/base:bookworm",
        command: ["sh", "-c", "echo about to be unhealthy; sleep 60"],
        healthcheck: { tests: ["CMD", "sh", "-c", "echo probe says no; exit 1"], interval: "200ms", retries: 1 },
        wait: true,
        waitTimeout: 30,
      }).id;`,
    );
    assert.equal(res.code, 1);
    assert.match(res.output, /Container pg-selftest-unhealthy-sick is unhealthy/);
    assert.match(res.output, /probe says no/);
    assert.match(res.output, /about to be unhealthy/);
    assert.ok(isEmpty(await listStackObjects(docker, "selftest-unhealthy")));
  });
});
