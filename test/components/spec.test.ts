// Part specs and their realizers without a Pulumi program: one spec gives the Docker container's and the
// Kubernetes container's command line and files, secrets stay secret, and a spec the realizer cannot
// place fails naming the part.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { GATE_TIMING, SIDE_TIMING } from "../../components/common";
import { containerArgs, dockerEnv, dockerHealthcheck } from "../../components/docker";
import { probePaths } from "../../components/kubernetes/common";
import { natsSpec } from "../../components/nats";
import { alertmanagerSpec, prometheusSpec, promtailSpec } from "../../components/observability-config";
import type { PartSpec } from "../../components/spec";

const LIMITS = { cpus: 0.5, memory: "256Mi", memoryBytes: 256 * 1024 ** 2, memoryMb: 256 };
const resolve = <T>(v: pulumi.Input<T> | undefined): Promise<T> => (pulumi.output(v) as any).promise();
/** The program a docker health check runs: CMD <program> ... */
const tool = (h: { tests?: pulumi.Input<pulumi.Input<string>[]> }) => (h.tests as string[])[1];
const place = { stack: "t", namePrefix: "pg-t", network: "pg-t", image: "img" };

describe("components/spec: part specs and realizers", () => {
  const natsOptions = {
    serverName: "nats-0",
    nodes: ["nats-0"],
    clusterName: "c",
    user: "u",
    password: "p w",
    limits: LIMITS,
  };
  const nats = () => natsSpec(natsOptions);

  it("a NATS spec becomes a container with its config upload, volume mount and a secret env list", async () => {
    const args = containerArgs(nats(), { ...place, name: "nats-0", volumes: { jetstream: "vol" } });
    assert.deepEqual(args.command, ["nats-server", "--config", "/etc/nats/nats.conf"]);
    assert.deepEqual(await resolve(args.mounts), [
      { type: "volume", source: "vol", target: "/data/jetstream" },
    ]);
    const uploads = (await resolve(args.uploads)) as { content?: string }[];
    assert.match(uploads[0].content!, /server_name: nats-0/);
    assert.deepEqual(await resolve(args.envs), ['NATS_USER="u"', 'NATS_PASSWORD="p w"']);
    assert.equal(await (pulumi.output(args.envs) as any).isSecret, true);
    assert.equal(args.ports, undefined, "nothing published unless placed so");
    assert.throws(() => containerArgs(nats(), place), /nats: no docker volume for jetstream/);
  });

  it("advertises a host name to clients and peers when asked", () => {
    const spec = natsSpec({ ...natsOptions, advertise: "nats-0" });
    assert.deepEqual(spec.command!.slice(-4), [
      "--client_advertise",
      "nats-0:4222",
      "--cluster_advertise",
      "nats-0:6222",
    ]);
  });

  it("Prometheus and Alertmanager: one spec's flags and files for both runtimes", () => {
    const prom = prometheusSpec({
      image: "prom",
      stack: "t",
      scrapeIntervalSeconds: 5,
      targets: [{ job: "gateway", targets: ["gateway-0:8080"] }],
      alertmanager: "alertmanager:9093",
    });
    const docker = containerArgs(prom, place);
    assert.deepEqual(docker.command, prom.args);
    assert.ok(prom.args!.includes("--web.enable-lifecycle"));
    assert.deepEqual(
      prom.files.map((f) => f.group ?? "config"),
      ["config", ...prom.files.slice(1).map(() => "rules")],
    );
    const am = alertmanagerSpec({ image: "am", webhookUrl: "http://x/", storagePath: "/tmp/am" });
    assert.ok(am.args!.includes("--storage.path=/tmp/am"));
    assert.deepEqual(probePaths(am), {
      live: { path: "/-/healthy", port: "http" },
      ready: { path: "/-/ready", port: "http" },
    });
  });

  it("runs an HTTP health check with the tool the image has, at the given timing", () => {
    const spec = (probeWith: PartSpec["probeWith"]): PartSpec => ({ ...nats(), probeWith });
    assert.equal(tool(dockerHealthcheck(spec("wget"), GATE_TIMING)), "wget");
    assert.equal(tool(dockerHealthcheck(spec("node"))), "node");
    const promtail = dockerHealthcheck(
      promtailSpec({ image: "p", lokiUrl: "http://loki:3100", stack: "t" }),
      SIDE_TIMING,
    );
    assert.equal(tool(promtail), "bash");
    assert.equal(promtail.interval, SIDE_TIMING.interval);
    assert.equal(dockerEnv({ ...nats(), env: [] }), undefined, "no env key without variables");
  });

  it("a Kubernetes probe needs a named port for its check", () => {
    assert.throws(() => probePaths({ ...nats(), ports: [] }), /nats: no named port 8222/);
  });
});
