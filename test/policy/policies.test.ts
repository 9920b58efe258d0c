// Every CrossGuard rule, called the way the analyzer calls it (validateResource with resource args),
// against a compliant and a violating resource of each type it covers.
import assert from "node:assert/strict";
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { isPinnedImage } from "../../policy/rules";

function byName(name: string): ResourceValidationPolicy {
  const p = policies.find((x) => x.name === name);
  assert.ok(p, `policy ${name} exists`);
  return p;
}

/** Runs one policy against a fake resource and returns the reported violation messages. */
async function violations(name: string, type: string, props: Record<string, any>): Promise<string[]> {
  const p = byName(name);
  const out: string[] = [];
  const args = {
    type,
    props,
    urn: `urn:pulumi:test::proving-ground::${type}::r`,
    name: "r",
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: () => ({}),
    notApplicable: () => {
      throw new Error("notApplicable");
    },
  } as unknown as ResourceValidationArgs;
  const validators = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
  for (const v of validators) await v(args, (message) => out.push(String(message)));
  return out;
}

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const DEPLOY = "kubernetes:apps/v1:Deployment";
const STS = "kubernetes:apps/v1:StatefulSet";
const DOCKER = "docker:index/container:Container";

const pod = (containers: any[], initContainers?: any[]) => ({
  spec: { template: { spec: { containers, ...(initContainers ? { initContainers } : {}) } } },
});
const limited = { resources: { limits: { cpu: "500m", memory: "256Mi" } } };

describe("policy pack", () => {
  it("declares mandatory and advisory rules with unique names", () => {
    const names = policies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(policies.some((p) => p.enforcementLevel === "mandatory"));
    assert.ok(policies.some((p) => p.enforcementLevel === "advisory"));
  });

  describe("no-public-ssh", () => {
    it("passes a group whose only world ingress is HTTPS, and SSH from inside the VPC", async () => {
      const props = {
        ingress: [
          { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
          { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/16"] },
        ],
      };
      assert.deepEqual(await violations("no-public-ssh", SG, props), []);
    });
    it("fails SSH from 0.0.0.0/0, from ::/0, a port range covering 22, and all-traffic rules", async () => {
      assert.equal(
        (
          await violations("no-public-ssh", SG, {
            ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
          })
        ).length,
        1,
      );
      assert.equal(
        (
          await violations("no-public-ssh", INGRESS, {
            ipProtocol: "tcp",
            fromPort: 20,
            toPort: 25,
            cidrIpv6: "::/0",
          })
        ).length,
        1,
      );
      assert.equal(
        (
          await violations("no-public-ssh", "aws:ec2/securityGroupRule:SecurityGroupRule", {
            type: "ingress",
            protocol: "-1",
            fromPort: 0,
            toPort: 0,
            cidrBlocks: ["0.0.0.0/0"],
          })
        ).length,
        1,
      );
    });
    it("ignores egress rules", async () => {
      const props = { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] };
      assert.deepEqual(
        await violations("no-public-ssh", "aws:ec2/securityGroupRule:SecurityGroupRule", props),
        [],
      );
    });
  });

  describe("world-ingress-only-http", () => {
    it("passes 80 and 443 from the world and anything from a security group", async () => {
      const props = {
        ingress: [
          { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
          { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
          { protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-1"] },
        ],
      };
      assert.deepEqual(await violations("world-ingress-only-http", SG, props), []);
    });
    it("fails a NATS port open to the world", async () => {
      const v = await violations("world-ingress-only-http", INGRESS, {
        ipProtocol: "tcp",
        fromPort: 4222,
        toPort: 4222,
        cidrIpv4: "0.0.0.0/0",
      });
      assert.equal(v.length, 1);
      assert.match(v[0], /4222/);
    });
  });

  describe("container-resource-limits", () => {
    it("passes Kubernetes workloads whose every container (init too) has CPU and memory limits", async () => {
      const props = pod([{ name: "a", image: "x:1", ...limited }], [{ name: "i", image: "x:1", ...limited }]);
      assert.deepEqual(await violations("container-resource-limits", STS, props), []);
    });
    it("fails a container without limits and an init container with only a memory limit", async () => {
      const props = pod(
        [{ name: "a", image: "x:1", resources: { requests: { cpu: "1" } } }],
        [{ name: "init", image: "x:1", resources: { limits: { memory: "1Gi" } } }],
      );
      const v = await violations("container-resource-limits", DEPLOY, props);
      assert.equal(v.length, 2);
      assert.ok(v.some((m) => /init.*cpu/.test(m)));
    });
    it("checks bare Pods and CronJobs", async () => {
      const bare = { spec: { containers: [{ name: "p", image: "x:1" }] } };
      assert.equal((await violations("container-resource-limits", "kubernetes:core/v1:Pod", bare)).length, 1);
      const cron = {
        spec: {
          jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "x:1" }] } } } },
        },
      };
      assert.equal(
        (await violations("container-resource-limits", "kubernetes:batch/v1:CronJob", cron)).length,
        1,
      );
    });
    it("passes Docker containers with memory and cpus, fails one without", async () => {
      assert.deepEqual(
        await violations("container-resource-limits", DOCKER, { name: "c", memory: 256, cpus: "0.5" }),
        [],
      );
      assert.equal((await violations("container-resource-limits", DOCKER, { name: "c" })).length, 2);
    });
    it("does not apply to unrelated resources", async () => {
      assert.deepEqual(
        await violations("container-resource-limits", "kubernetes:core/v1:Service", { spec: {} }),
        [],
      );
    });
  });

  describe("images-pinned", () => {
    it("knows pinned and unpinned references", () => {
      const digest = "sha256:" + "a".repeat(64);
      for (const ok of [
        "nats:2.10.22",
        "ghcr.io/org/gw:1.2.3",
        `nats@${digest}`,
        digest,
        "localhost:5000/x:7",
      ]) {
        assert.ok(isPinnedImage(ok), ok);
      }
      for (const bad of ["nats", "nats:latest", "localhost:5000/x", "ghcr.io/org/gw:latest"]) {
        assert.ok(!isPinnedImage(bad), bad);
      }
    });
    it("passes pinned images and fails latest/untagged ones in Kubernetes and Docker", async () => {
      assert.deepEqual(
        await violations("images-pinned", DEPLOY, pod([{ name: "a", image: "nats:2.10.22" }])),
        [],
      );
      assert.equal(
        (await violations("images-pinned", DEPLOY, pod([{ name: "a", image: "nats" }]))).length,
        1,
      );
      assert.equal(
        (await violations("images-pinned", DOCKER, { name: "c", image: "prom/prometheus:latest" })).length,
        1,
      );
      assert.equal(
        (
          await violations("images-pinned", "docker:index/remoteImage:RemoteImage", {
            name: "grafana/grafana",
          })
        ).length,
        1,
      );
      assert.deepEqual(
        await violations("images-pinned", "docker:index/remoteImage:RemoteImage", {
          name: "grafana/grafana:11.2.0",
        }),
        [],
      );
    });
  });

  describe("encrypted-volumes", () => {
    it("passes encrypted EBS volumes and instance disks", async () => {
      assert.deepEqual(
        await violations("encrypted-volumes", "aws:ebs/volume:Volume", { encrypted: true, size: 20 }),
        [],
      );
      assert.deepEqual(
        await violations("encrypted-volumes", "aws:ec2/instance:Instance", {
          rootBlockDevice: { encrypted: true },
          ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
        }),
        [],
      );
    });
    it("fails unencrypted volumes, root disks and block devices", async () => {
      assert.equal((await violations("encrypted-volumes", "aws:ebs/volume:Volume", { size: 20 })).length, 1);
      const v = await violations("encrypted-volumes", "aws:ec2/instance:Instance", {
        ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }],
      });
      assert.equal(v.length, 2);
    });
  });

  describe("no-privileged-containers", () => {
    it("passes unprivileged containers", async () => {
      assert.deepEqual(
        await violations("no-privileged-containers", DEPLOY, pod([{ name: "a", image: "x:1" }])),
        [],
      );
      assert.deepEqual(
        await violations("no-privileged-containers", DOCKER, { name: "c", privileged: false }),
        [],
      );
    });
    it("fails privileged Kubernetes and Docker containers", async () => {
      const props = pod([{ name: "a", image: "x:1", securityContext: { privileged: true } }]);
      assert.equal((await violations("no-privileged-containers", STS, props)).length, 1);
      assert.equal(
        (await violations("no-privileged-containers", DOCKER, { name: "c", privileged: true })).length,
        1,
      );
    });
  });

  describe("imdsv2-required", () => {
    it("passes httpTokens required and fails optional or missing", async () => {
      const I = "aws:ec2/instance:Instance";
      assert.deepEqual(
        await violations("imdsv2-required", I, { metadataOptions: { httpTokens: "required" } }),
        [],
      );
      assert.equal(
        (await violations("imdsv2-required", I, { metadataOptions: { httpTokens: "optional" } })).length,
        1,
      );
      assert.equal((await violations("imdsv2-required", I, {})).length, 1);
    });
  });
});
