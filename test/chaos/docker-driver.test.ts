// The docker driver against a throwaway container, network and volume of our own (prefix pg-chaos-test-):
// a real nats-server with JetStream on a named volume, in an image built here with `docker import` from
// the host's nats-server binary and its libc if it links one (nothing can be pulled in CI).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import Docker from "dockerode";
import { connect, NatsConnection } from "nats";
import { DockerDriver } from "../../tooling/drivers/docker";
import { STACK_LABEL } from "../../components/common";
import { describeUnhealthy } from "../../scripts/stack-objects";
import type { StackOutputs } from "../../stacks/outputs";
import { waitFor } from "../../tooling/local/wait";

const docker = new Docker();
const tag = `pg-chaos-test-${process.pid}`;
const image = `${tag}-nats:local`;
const name = `${tag}-nats`;
const net = `${tag}-net`;
const vol = `${tag}-js`;

function buildImage(): void {
  const bin = execFileSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).trim();
  // Debian's nats-server links libc; the one built from its Go module (CI) is static, where ldd exits 1
  // ("not a dynamic executable") and there is nothing to copy.
  const ldd = spawnSync("ldd", [bin], { encoding: "utf8" });
  const libs = (ldd.status === 0 ? ldd.stdout : "")
    .split("\n")
    .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
    .filter((p): p is string => !!p);
  // tar keeps absolute paths relative to /; the binary goes to /nats-server.
  execFileSync("sh", [
    "-c",
    `tar -C / -ch ${[bin, ...libs].map((p) => `'${p.slice(1)}'`).join(" ")} --transform 's|.*/nats-server$|nats-server|' | docker import --change 'ENTRYPOINT ["/nats-server"]' - ${image}`,
  ]);
}

async function ip(): Promise<string> {
  return (await docker.getContainer(name).inspect()).NetworkSettings.Networks[net].IPAddress;
}

async function natsAt(): Promise<NatsConnection> {
  return connect({ servers: `nats://${await ip()}:4222`, timeout: 2000 });
}

async function streamCount(): Promise<number> {
  const nc = await waitFor("nats in the container", () => natsAt(), { timeoutMs: 15000, intervalMs: 200 });
  try {
    const jsm = await nc.jetstreamManager();
    return (await jsm.streams.info("CHAOS")).state.messages;
  } finally {
    await nc.close();
  }
}

describe("docker chaos driver (throwaway container)", function () {
  this.timeout(120000);
  const outputs: StackOutputs = {
    target: "docker",
    stack: "pg-chaos-test",
    gatewayUrl: "http://127.0.0.1:1",
    natsUrl: "nats://nats-0:4222",
    natsHostUrls: [],
    natsUser: "",
    natsPassword: "",
    natsMonitorUrls: [],
    routerMetricsUrls: [],
    chaosTargets: { nats: { driver: "docker", containers: [name], networks: [net], volumes: [vol] } },
  };
  const driver = new DockerDriver(outputs, docker);

  before(async () => {
    buildImage();
    await docker.createNetwork({ Name: net, Labels: { "pg-chaos-test": "1" } });
    await docker.createVolume({ Name: vol, Labels: { "pg-chaos-test": "1" } });
    const c = await docker.createContainer({
      name,
      Image: image,
      Cmd: ["-js", "-sd", "/data", "-m", "8222"],
      Labels: { "pg-chaos-test": "1" },
      HostConfig: { Binds: [`${vol}:/data`], NanoCpus: 1e9, NetworkMode: net },
      NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: ["nats-0"] } } },
    });
    await c.start();
    const nc = await waitFor("nats in the container", () => natsAt(), { timeoutMs: 15000, intervalMs: 200 });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: "CHAOS", subjects: ["chaos.>"] });
    const js = nc.jetstream();
    for (let i = 0; i < 5; i++) await js.publish("chaos.x", new TextEncoder().encode(String(i)));
    await nc.close();
  });

  after(async () => {
    for (const c of [name, `${tag}-bad`, `${tag}-good`])
      await docker
        .getContainer(c)
        .remove({ force: true })
        .catch(() => undefined);
    await docker
      .getNetwork(net)
      .remove()
      .catch(() => undefined);
    await docker
      .getVolume(vol)
      .remove()
      .catch(() => undefined);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("counts and reports the instances of a role; rejects unknown roles and indexes", async () => {
    assert.equal(driver.count("nats"), 1);
    assert.equal(driver.count("router"), 0);
    assert.deepEqual(await driver.running("nats"), [true]);
    await assert.rejects(driver.kill({ role: "nats", index: 3 }), /index 3 is out of range/);
    await assert.rejects(driver.kill({ role: "router" }), /chaosTargets.router has no docker containers/);
  });

  it("SIGKILL and start keep the JetStream data on the volume", async () => {
    await driver.kill({ role: "nats", index: 0 });
    assert.deepEqual(await driver.running("nats"), [false]);
    assert.equal((await docker.getContainer(name).inspect()).State.ExitCode, 137);
    await driver.start({ role: "nats", index: 0 });
    assert.deepEqual(await driver.running("nats"), [true]);
    assert.equal(await streamCount(), 5);
  });

  it("restart, pause and unpause", async () => {
    const before = (await docker.getContainer(name).inspect()).State.StartedAt;
    await driver.restart({ role: "nats" });
    assert.notEqual((await docker.getContainer(name).inspect()).State.StartedAt, before);
    await driver.pause({ role: "nats", index: 0 });
    assert.deepEqual(await driver.running("nats"), [false]);
    assert.equal((await docker.getContainer(name).inspect()).State.Paused, true);
    await driver.unpause({ role: "nats", index: 0 });
    assert.deepEqual(await driver.running("nats"), [true]);
  });

  it("disconnect cuts the container off the stack network; reconnect restores it with its alias", async () => {
    await driver.disconnect({ role: "nats", index: 0 });
    let nets = (await docker.getContainer(name).inspect()).NetworkSettings.Networks;
    assert.equal(nets[net], undefined);
    await driver.reconnect({ role: "nats", index: 0 });
    nets = (await docker.getContainer(name).inspect()).NetworkSettings.Networks;
    assert.ok(nets[net]?.Aliases?.includes("nats-0"), JSON.stringify(nets[net]?.Aliases));
    assert.equal(await streamCount(), 5);
  });

  it("squeeze sets CPU and memory limits; undefined restores the declared ones", async () => {
    await driver.squeeze({ role: "nats", index: 0 }, { cpus: 0.1, memoryBytes: 64 * 1024 * 1024 });
    let h = (await docker.getContainer(name).inspect()).HostConfig;
    assert.equal(h.NanoCpus, 1e8);
    assert.equal(h.Memory, 64 * 1024 * 1024);
    await driver.squeeze({ role: "nats", index: 0 }, undefined);
    h = (await docker.getContainer(name).inspect()).HostConfig;
    assert.equal(h.NanoCpus, 1e9);
    // Docker cannot unset a memory limit: "unlimited" comes back as the host's total memory.
    assert.equal(h.Memory, (await docker.info()).MemTotal);
  });

  it("impairLink adds packet loss inside the container's namespace and removes it", async () => {
    const caps = await driver.capabilities();
    assert.ok(caps.has("link-loss"), `capabilities: ${[...caps]}`);
    const pid = (await docker.getContainer(name).inspect()).State.Pid;
    const rules = () =>
      execFileSync("nsenter", ["-t", String(pid), "-n", "iptables", "-S"], { encoding: "utf8" }) +
      execFileSync("nsenter", ["-t", String(pid), "-n", "tc", "qdisc", "show"], { encoding: "utf8" });
    await driver.impairLink({ role: "nats", index: 0 }, { lossPercent: 10 });
    assert.match(
      rules(),
      caps.has("link-delay")
        ? /netem .*loss 10%/
        : /statistic --mode random --probability 0\.1.*pg-chaos-loss/,
    );
    await driver.impairLink({ role: "nats", index: 0 }, undefined);
    assert.doesNotMatch(rules(), /netem|pg-chaos-loss/);
    if (!caps.has("link-delay")) {
      await assert.rejects(driver.impairLink({ role: "nats", index: 0 }, { delayMs: 50 }), /sch_netem/);
    }
  });

  it("recreate replaces the container (new id, same name, network alias and volume data)", async () => {
    const oldId = (await docker.getContainer(name).inspect()).Id;
    // A file put into the container after creation (as IaC uploads do) must survive the re-creation.
    execFileSync("sh", [
      "-c",
      `mkdir -p /tmp/${tag}/etc/pgconf && echo marker > /tmp/${tag}/etc/pgconf/x.conf && tar -C /tmp/${tag} -c etc/pgconf | docker cp - ${name}:/ && rm -rf /tmp/${tag}`,
    ]);
    await driver.recreate({ role: "nats", index: 0 });
    assert.equal(
      execFileSync("sh", ["-c", `docker cp ${name}:/etc/pgconf/x.conf - | tar -xO`], {
        encoding: "utf8",
      }).trim(),
      "marker",
    );
    const info = await docker.getContainer(name).inspect();
    assert.notEqual(info.Id, oldId);
    assert.ok(info.NetworkSettings.Networks[net]?.Aliases?.includes("nats-0"));
    assert.deepEqual(await driver.running("nats"), [true]);
    assert.equal(await streamCount(), 5);
  });

  it("describeUnhealthy names a container that exited, with its exit code and log, and leaves healthy ones out", async () => {
    // Labelled as a stack's objects are (components/common.ts), under a stack name of this test's own.
    const stack = `${tag}-stack`;
    const Labels = { [STACK_LABEL]: stack, "pg-chaos-test": "1" };
    const bad = await docker.createContainer({
      name: `${tag}-bad`,
      Image: image,
      Cmd: ["-c", "/no-such.conf"],
      Labels,
    });
    const good = await docker.createContainer({
      name: `${tag}-good`,
      Image: image,
      Cmd: ["-p", "4222"],
      Labels,
      Healthcheck: { Test: ["CMD", "/nats-server", "--version"], Interval: 500e6, Retries: 3 },
    });
    await Promise.all([bad.start(), good.start()]);
    await waitFor("the bad container exited", async () => !(await bad.inspect()).State.Running || undefined, {
      timeoutMs: 10000,
    });
    await waitFor(
      "the good container healthy",
      async () => (await good.inspect()).State.Health?.Status === "healthy" || undefined,
      { timeoutMs: 15000 },
    );
    const lines = await describeUnhealthy(stack, docker);
    assert.match(lines[0], new RegExp(`^${tag}-bad: exited \\(exit 1\\), health none$`));
    assert.ok(
      lines.slice(1).some((l) => l.startsWith("  | ") && /no-such\.conf/.test(l)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.includes(`${tag}-good`)), lines.join("\n"));
  });
});
