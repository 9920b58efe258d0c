// Pure parts of the deploy harness (test/deploy): value conversions, the container create body, random
// passwords and stack config reading.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createOptions } from "../deploy/container";
import { HARNESS_LABEL } from "../deploy/labels";
import { randomPassword } from "../deploy/random-password";
import { readStackConfig } from "../deploy/stack-config";
import { demuxLogs, durationNs, mbToBytes, nanoCpus, unwrapSecrets, uploadMode } from "../deploy/values";

describe("deploy harness values", () => {
  it("parses Go-style durations into nanoseconds and names the field on bad input", () => {
    assert.equal(durationNs("5s", "x"), 5e9);
    assert.equal(durationNs("250ms", "x"), 250e6);
    assert.equal(durationNs("1m30s", "x"), 90e9);
    assert.equal(durationNs(undefined, "x"), 0);
    assert.throws(
      () => durationNs("5 seconds", "healthcheck.interval"),
      /healthcheck\.interval: expected a duration/,
    );
    assert.throws(() => durationNs("10", "healthcheck.timeout"), /healthcheck\.timeout/);
  });

  it("converts MB, cpus and upload modes as the provider documents", () => {
    assert.equal(mbToBytes(128), 128 * 1024 * 1024);
    assert.equal(mbToBytes(-1), -1);
    assert.equal(nanoCpus("0.5"), 5e8);
    assert.throws(() => nanoCpus("half"), /cpus/);
    assert.equal(uploadMode({}), 0o644);
    assert.equal(uploadMode({ executable: true }), 0o744);
    assert.equal(uploadMode({ executable: true, permissions: "0600" }), 0o600);
    assert.throws(() => uploadMode({ permissions: "rwx" }), /uploads\.permissions/);
  });

  it("unwraps SDK secret wrappers deeply", () => {
    const secret = (value: unknown) => ({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value,
    });
    assert.deepEqual(unwrapSecrets({ envs: secret(["A=1"]), nested: { p: secret("pw") }, n: 1 }), {
      envs: ["A=1"],
      nested: { p: "pw" },
      n: 1,
    });
  });

  it("demultiplexes framed docker logs and keeps unframed text", () => {
    const frame = (type: number, s: string) => {
      const h = Buffer.alloc(8);
      h[0] = type;
      h.writeUInt32BE(Buffer.byteLength(s), 4);
      return Buffer.concat([h, Buffer.from(s)]);
    };
    assert.equal(demuxLogs(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")])), "out\nerr\n");
    assert.equal(demuxLogs(Buffer.from("plain tty text"), true), "plain tty text");
  });
});

describe("deploy harness container create body", () => {
  const base = { image: "img", labels: [{ label: "a", value: "b" }] };

  it("maps ports, networks, health check, limits and restart policy", () => {
    const o = createOptions(
      {
        ...base,
        ports: [
          { internal: 8080, ip: "127.0.0.1" },
          { internal: 4222, external: 14222 },
        ],
        networksAdvanced: [{ name: "n1", aliases: ["x"] }, { name: "n2" }],
        healthcheck: { tests: ["CMD", "true"], interval: "2s", timeout: "1s", retries: 3, startPeriod: "5s" },
        memory: 64,
        cpus: "1.5",
        restart: "on-failure",
        maxRetryCount: 4,
      },
      "c1",
      "st",
    );
    assert.deepEqual(o.HostConfig!.PortBindings, {
      "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      "4222/tcp": [{ HostIp: "0.0.0.0", HostPort: "14222" }],
    });
    assert.equal(o.HostConfig!.NetworkMode, "n1");
    assert.deepEqual(Object.keys(o.NetworkingConfig!.EndpointsConfig!), ["n1"]);
    assert.deepEqual(o.Healthcheck, {
      Test: ["CMD", "true"],
      Interval: 2e9,
      Timeout: 1e9,
      Retries: 3,
      StartPeriod: 5e9,
    });
    assert.equal(o.HostConfig!.Memory, 64 * 1024 * 1024);
    assert.equal(o.HostConfig!.NanoCpus, 1.5e9);
    assert.deepEqual(o.HostConfig!.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 4 });
    assert.deepEqual(o.Labels, { a: "b", [HARNESS_LABEL]: "st" });
  });

  it("rejects an unknown restart policy naming it", () => {
    assert.throws(
      () => createOptions({ ...base, restart: "sometimes" }, "c1", "st"),
      /restart must be one of/,
    );
  });
});

describe("deploy harness random password and stack config", () => {
  it("honours length, disabled classes and minimum counts", () => {
    const p = randomPassword({ length: 32, special: false, minNumeric: 5 });
    assert.equal(p.length, 32);
    assert.match(p, /^[A-Za-z0-9]+$/);
    assert.ok((p.match(/[0-9]/g) ?? []).length >= 5);
    assert.notEqual(p, randomPassword({ length: 32, special: false }));
    assert.throws(() => randomPassword({ length: 0 }), /length/);
    assert.throws(() => randomPassword({ length: 2, minUpper: 3 }), /exceed length/);
  });

  it("merges project defaults with stack values and rejects secure values", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-cfg-"));
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      "name: demo\nruntime: nodejs\nconfig:\n  replicas:\n    type: integer\n    default: 2\n  target: docker\n",
    );
    fs.writeFileSync(
      path.join(dir, "Pulumi.a.yaml"),
      "config:\n  demo:replicas: 3\n  docker:host: unix:///x\n  demo:obj: {k: 1}\n",
    );
    fs.writeFileSync(path.join(dir, "Pulumi.b.yaml"), "config:\n  demo:pw:\n    secure: AAAA\n");
    const cfg = readStackConfig(dir, "a");
    assert.equal(cfg.project, "demo");
    assert.deepEqual(cfg.config, {
      "demo:replicas": "3",
      "demo:target": "docker",
      "docker:host": "unix:///x",
      "demo:obj": '{"k":1}',
    });
    assert.throws(() => readStackConfig(dir, "b"), /demo:pw is an encrypted/);
    assert.throws(() => readStackConfig(dir, "missing"), /Pulumi\.missing\.yaml does not exist/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
