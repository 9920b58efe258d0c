// The aws target (index.ts with Pulumi.prod.yaml, plus variations) under strict recording mocks:
// network shape per zone count, ingress rules, encryption, IMDSv2, SSM-only access, the shared
// components placed on per-host docker providers, secrets, outputs and config errors.
import assert from "node:assert/strict";
import path from "node:path";
import { renderCloudInit, renderMountScript } from "../../components/aws/cloud-init";
import { subnetCidrs } from "../../components/aws/network";
import { renderSsmProxyCommand } from "../../components/aws/ssm-proxy";
import { readStackConfig } from "../support/stack-config";
import type { ProgramRun } from "../components/mocks";
import { assertOutputShape, plainText, policyViolations } from "./helpers";
import {
  AWS,
  MOCK_AMI,
  SSH_KEY,
  ZONES,
  isSecretValue,
  reveal,
  runCloudProgram,
  type CloudMocks,
} from "./mocks";

const REPO = path.resolve(__dirname, "..", "..");
const prod = () => readStackConfig(REPO, "prod").config;
const PASSWORD = "s3cret-nats-password-for-tests";

type Run = ProgramRun & { mocks: CloudMocks };

describe("aws target: cloud-init renderer", () => {
  it("installs and starts Docker, installs the deployer key, and is deterministic", () => {
    const a = renderCloudInit({ role: "gateway-0", stack: "prod", deployerPublicKey: SSH_KEY });
    assert.equal(a, renderCloudInit({ role: "gateway-0", stack: "prod", deployerPublicKey: SSH_KEY }));
    assert.match(a, /^#cloud-config\n/);
    assert.match(a, /packages:\n\s+- docker/);
    assert.match(
      a,
      /systemctl\s*\n?\s*- enable\s*\n?\s*- --now\s*\n?\s*- docker|- systemctl\n\s+- enable\n\s+- --now\n\s+- docker/,
    );
    assert.ok(a.includes(SSH_KEY));
    assert.match(a, /ssh_pwauth: false/);
    assert.ok(!a.includes("mount-data-volume"), "no data volume on a service host");
  });
  it("mounts the data volume before Docker starts on NATS hosts", () => {
    const a = renderCloudInit({
      role: "nats-0",
      stack: "prod",
      deployerPublicKey: SSH_KEY,
      dataVolume: { deviceName: "/dev/sdf" },
    });
    const mount = a.indexOf("/usr/local/sbin/mount-data-volume\n", a.indexOf("runcmd"));
    assert.ok(mount > 0 && mount < a.indexOf("docker", mount), "mount runs before docker is enabled");
    const script = renderMountScript("/dev/sdf", "/var/lib/docker/volumes");
    assert.match(script, /blkid "\$dev" >\/dev\/null 2>&1 \|\| mkfs\.xfs/, "formats only a blank volume");
    assert.match(script, /nofail/);
  });
  it("rejects unsafe input with a message naming the field", () => {
    assert.throws(
      () => renderCloudInit({ role: "x; rm -rf /", stack: "p", deployerPublicKey: SSH_KEY }),
      /role must match/,
    );
    assert.throws(
      () => renderCloudInit({ role: "a", stack: "p", deployerPublicKey: "not a key" }),
      /deployerPublicKey/,
    );
    assert.throws(
      () =>
        renderCloudInit({
          role: "a",
          stack: "p",
          deployerPublicKey: SSH_KEY,
          dataVolume: { deviceName: "/dev/sda" },
        }),
      /deviceName/,
    );
  });
  it("carves private and public subnets per zone out of the VPC CIDR", () => {
    assert.deepEqual(subnetCidrs("10.40.0.0/16", 3), {
      private: ["10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"],
      public: ["10.40.128.0/20", "10.40.144.0/20", "10.40.160.0/20"],
    });
    assert.deepEqual(subnetCidrs("10.0.16.0/20", 2).private, ["10.0.16.0/24", "10.0.17.0/24"]);
  });
});

describe("aws target under mocks: Pulumi.prod.yaml", function () {
  this.timeout(60000);
  let run: Run;
  before(async () => {
    run = await runCloudProgram(
      { ...prod(), natsPassword: PASSWORD },
      { stack: "prod", secretKeys: ["natsPassword"] },
    );
  });
  const instances = (role: string) =>
    run.mocks.of(AWS.instance).filter((r) => reveal(r.inputs.tags)["proving-ground:role"] === role);

  it("calls only the two mocked provider functions", () => {
    assert.deepEqual([...new Set(run.mocks.calls)].sort(), [
      "aws:ec2/getAmi:getAmi",
      "aws:index/getAvailabilityZones:getAvailabilityZones",
    ]);
  });

  it("builds one VPC with a private and a public subnet in each of 3 zones and one NAT gateway", () => {
    assert.equal(run.mocks.of(AWS.vpc).length, 1);
    const subnets = run.mocks.of(AWS.subnet).map((s) => reveal(s.inputs));
    const priv = subnets.filter((s) => s.tags.Name.includes("private"));
    const pub = subnets.filter((s) => s.tags.Name.includes("public"));
    assert.deepEqual(
      priv.map((s) => s.availabilityZone),
      ZONES,
    );
    assert.deepEqual(
      pub.map((s) => s.availabilityZone),
      ZONES,
    );
    assert.ok(subnets.every((s) => s.mapPublicIpOnLaunch === false));
    assert.equal(run.mocks.of(AWS.nat).length, 1);
  });

  it("runs 3 NATS, 2 router, 2 gateway hosts and 1 monitoring host, NATS spread over the zones", () => {
    assert.equal(instances("nats").length, 3);
    assert.equal(instances("router").length, 2);
    assert.equal(instances("gateway").length, 2);
    assert.equal(instances("monitoring").length, 1);
    const zoneOf = (subnetId: string) =>
      reveal(run.mocks.of(AWS.subnet).find((s) => `${s.name}-id` === subnetId)!.inputs).availabilityZone;
    const natsZones = instances("nats").map((i) => zoneOf(reveal(i.inputs).subnetId));
    assert.equal(new Set(natsZones).size, 3);
    for (const i of run.mocks.of(AWS.instance)) {
      const subnet = reveal(i.inputs).subnetId as string;
      assert.match(subnet, /^private-\d-id$/, `${i.name} is in a private subnet`);
    }
  });

  it("hardens every instance: IMDSv2 required, hop limit 1, encrypted root disk, no public IP, AL2023 AMI", () => {
    for (const i of run.mocks.of(AWS.instance)) {
      const p = reveal(i.inputs);
      assert.equal(p.metadataOptions.httpTokens, "required", i.name);
      assert.equal(p.metadataOptions.httpPutResponseHopLimit, 1, i.name);
      assert.equal(p.rootBlockDevice.encrypted, true, i.name);
      assert.equal(p.associatePublicIpAddress, false, i.name);
      assert.equal(p.ami, MOCK_AMI);
      assert.equal(p.iamInstanceProfile, "host-profile");
      assert.match(p.userData, /^#cloud-config/);
    }
  });

  it("gives each NATS host an encrypted JetStream EBS volume in its zone, attached as /dev/sdf", () => {
    const vols = run.mocks.of(AWS.volume).map((v) => reveal(v.inputs));
    assert.equal(vols.length, 3);
    assert.ok(vols.every((v) => v.encrypted === true && v.type === "gp3" && v.size === 20));
    assert.deepEqual(vols.map((v) => v.availabilityZone).sort(), [...ZONES].sort());
    const att = run.mocks.of(AWS.attachment).map((a) => reveal(a.inputs));
    assert.deepEqual(att.map((a) => a.instanceId).sort(), [
      "nats-0-host-id",
      "nats-1-host-id",
      "nats-2-host-id",
    ]);
    assert.ok(att.every((a) => a.deviceName === "/dev/sdf"));
    for (const i of instances("nats")) assert.match(reveal(i.inputs).userData, /mount-data-volume/);
  });

  it("opens 0.0.0.0/0 only on the load balancer listener (port 80) and never opens SSH", () => {
    const rules = run.mocks.of(AWS.ingress).map((r) => ({ name: r.name, ...reveal(r.inputs) }));
    const world = rules.filter((r) => r.cidrIpv4 === "0.0.0.0/0" || r.cidrIpv6 === "::/0");
    assert.deepEqual(
      world.map((r) => [r.name, r.fromPort, r.toPort]),
      [["lb-listener-0", 80, 80]],
    );
    assert.equal(world[0].securityGroupId, "lb-sg-id");
    for (const r of rules) {
      assert.ok(!(r.fromPort <= 22 && 22 <= r.toPort), `${r.name} must not open SSH`);
      if (r.name !== "lb-listener-0")
        assert.ok(r.referencedSecurityGroupId, `${r.name} references a group, not a CIDR`);
    }
    // No inline rules that could bypass the checks above.
    for (const g of run.mocks.of(AWS.sg)) assert.equal(reveal(g.inputs).ingress, undefined);
    assert.ok(
      !rules.some((r) => r.securityGroupId === "monitoring-sg-id"),
      "the monitoring host accepts nothing",
    );
  });

  it("grants SSM Session Manager through the instance role and connects docker through an SSM tunnel", () => {
    const policies = run.mocks.of(AWS.policyAttachment).map((p) => reveal(p.inputs).policyArn);
    assert.deepEqual(policies, ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    const providers = run.mocks.of(AWS.dockerProvider);
    assert.equal(providers.length, 8, "one docker provider per host");
    for (const p of providers) {
      const i = reveal(p.inputs);
      assert.match(i.host, /^ssh:\/\/ec2-user@[a-z0-9-]+-host-id$/);
      // Provider config reaches the engine JSON-encoded.
      const sshOpts: string[] = typeof i.sshOpts === "string" ? JSON.parse(i.sshOpts) : i.sshOpts;
      assert.ok(
        sshOpts.includes(`ProxyCommand=${renderSsmProxyCommand("eu-west-1")}`),
        JSON.stringify(sshOpts),
      );
    }
  });

  it("reuses the shared components and places each NATS node on its own host", () => {
    const comps = run.mocks.resources.filter((r) => !r.custom).map((r) => r.type);
    assert.equal(comps.filter((t) => t.endsWith(":NatsCluster")).length, 1);
    assert.equal(comps.filter((t) => t.endsWith(":BeamlineService")).length, 4);
    assert.equal(comps.filter((t) => t.endsWith(":Observability")).length, 1);
    assert.equal(comps.filter((t) => t.endsWith(":ValidationJob")).length, 1);
    for (const i of [0, 1, 2]) {
      const c = run.mocks.container(`nats-${i}`);
      assert.match(run.mocks.providerOf.get(c) ?? "", new RegExp(`nats-${i}-docker::nats-${i}-docker-id$`));
      const ports = reveal(c.inputs.ports).map((p: any) => p.internal);
      assert.deepEqual(ports, [4222, 6222, 8222]);
      const cmd = reveal(c.inputs.command) as string[];
      assert.deepEqual(cmd.slice(-4), [
        "--client_advertise",
        `nats-${i}:4222`,
        "--cluster_advertise",
        `nats-${i}:6222`,
      ]);
      const vol = run.mocks
        .of("docker:index/volume:Volume")
        .find((v) => reveal(v.inputs).name.endsWith(`-nats-${i}-data`))!;
      assert.equal(
        run.mocks.providerOf.get(vol),
        run.mocks.providerOf.get(c),
        "volume on the same host as its node",
      );
    }
    const gw = run.mocks.containers().filter((c) => /gateway-\d-\d$/.test(c.name));
    assert.equal(new Set(gw.map((c) => run.mocks.providerOf.get(c))).size, 2, "gateways on two hosts");
    assert.match(run.mocks.providerOf.get(run.mocks.container("prometheus")) ?? "", /monitoring-docker/);
  });

  it("resolves the components' names across hosts: every container maps nats-i/router-i/gateway-i to private IPs", () => {
    for (const c of run.mocks.containers()) {
      const hosts = reveal(c.inputs.hosts) as { host: string; ip: string }[];
      assert.ok(hosts, `${c.name} has host entries`);
      const names = hosts.map((h) => h.host);
      for (const n of ["nats-0", "nats-1", "nats-2", "router-0", "router-1", "gateway-0", "gateway-1"]) {
        assert.ok(names.includes(n), `${c.name} resolves ${n}`);
      }
      assert.ok(hosts.every((h) => /^10\.40\.\d+\.\d+$/.test(h.ip)));
    }
    const prom = reveal(run.mocks.container("prometheus").inputs.uploads).find((u: any) =>
      u.file.endsWith("prometheus.yml"),
    );
    assert.match(prom.content, /router-1:9091/);
    assert.match(prom.content, /gateway-0:8080/);
  });

  it("keeps the UIs on the monitoring host's loopback and puts the gateway behind the ALB", () => {
    for (const role of ["prometheus", "alertmanager", "grafana"]) {
      for (const p of reveal(run.mocks.container(role).inputs.ports) as { ip?: string }[])
        assert.equal(p.ip, "127.0.0.1", role);
    }
    const lb = reveal(run.mocks.of(AWS.lb)[0].inputs);
    assert.equal(lb.internal, false);
    assert.deepEqual(lb.subnets, ["public-0-id", "public-1-id", "public-2-id"]);
    assert.deepEqual(
      run.mocks
        .of(AWS.tgAttachment)
        .map((t) => reveal(t.inputs).targetId)
        .sort(),
      ["gateway-0-host-id", "gateway-1-host-id"],
    );
    const listener = reveal(run.mocks.of(AWS.listener)[0].inputs);
    assert.equal(listener.protocol, "HTTP");
    assert.equal(listener.port, 80);
  });

  it("keeps the NATS password secret everywhere", () => {
    assert.ok(!plainText(run).includes(PASSWORD), "password never in plain-text inputs");
    assert.equal(run.secret.natsPassword, true);
    for (const c of run.mocks
      .containers()
      .filter((x) => x.inputs.envs && JSON.stringify(reveal(x.inputs.envs)).includes("NATS_PASSWORD"))) {
      assert.ok(isSecretValue(c.inputs.envs), `${c.name} env is a secret`);
    }
  });

  it("passes every policy of the pack (limits, pinned images, encryption, IMDSv2, no public SSH)", async () => {
    assert.deepEqual(await policyViolations(run), []);
  });

  it("exports the StackOutputs shape with ssm chaos targets", () => {
    const o = run.outputs;
    assertOutputShape(o, ["tenantTokens", "linkProxy"]); // Pulumi.prod.yaml sets no gatewayTenantTokens
    assert.equal(o.target, "aws");
    assert.equal(o.gatewayUrl, "http://gateway-lb-123.eu-west-1.elb.amazonaws.com");
    assert.equal(o.natsUrl, "nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222");
    assert.equal(o.natsHostUrls.length, 3);
    assert.ok(o.natsHostUrls.every((u: string) => /^nats:\/\/10\.40\.\d+\.\d+:4222$/.test(u)));
    assert.equal(o.routerMetricsUrls.length, 2);
    assert.equal(o.prometheusUrl, "http://127.0.0.1:9090");
    const nats = o.chaosTargets.nats;
    assert.equal(nats.driver, "ssm");
    assert.equal(nats.region, "eu-west-1");
    assert.deepEqual(nats.instanceIds, ["nats-0-host-id", "nats-1-host-id", "nats-2-host-id"]);
    assert.equal(nats.containers.length, 3);
    assert.equal(o.chaosTargets.gateway.instanceIds.length, 2);
    assert.deepEqual(o.chaosTargets.prometheus.instanceIds, ["monitoring-host-id"]);
    assert.equal(o.validation.exitCode, 0);
  });
});

describe("aws target under mocks: variations and config errors", function () {
  this.timeout(60000);
  it("spans 2 zones with a NAT per zone, HTTPS with a certificate, and a restricted listener", async () => {
    const run = await runCloudProgram(
      {
        ...prod(),
        awsAvailabilityZones: "2",
        awsNatGateways: "perZone",
        natsReplicas: "3",
        awsCertificateArn:
          "arn:aws:acm:eu-west-1:123456789012:certificate/0f7e6c1a-1111-2222-3333-444455556666",
        awsLbIngressCidrs: "203.0.113.0/24",
      },
      { stack: "prod" },
    );
    assert.equal(run.mocks.of(AWS.subnet).length, 4);
    assert.equal(run.mocks.of(AWS.nat).length, 2);
    const world = run.mocks.of(AWS.ingress).filter((r) => reveal(r.inputs).cidrIpv4);
    assert.deepEqual(
      world.map((r) => [reveal(r.inputs).cidrIpv4, reveal(r.inputs).fromPort]),
      [["203.0.113.0/24", 443]],
    );
    const l = reveal(run.mocks.of(AWS.listener)[0].inputs);
    assert.equal(l.protocol, "HTTPS");
    assert.match(l.sslPolicy, /TLS13/);
    assert.match(run.outputs.gatewayUrl, /^https:\/\//);
    // 3 NATS hosts over 2 zones: zones a, b, a.
    const zones = run.mocks
      .of(AWS.volume)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((v) => reveal(v.inputs).availabilityZone);
    assert.deepEqual(zones, ["eu-west-1a", "eu-west-1b", "eu-west-1a"]);
  });

  it("gives the gateways their tenant tokens and rate limit in the secret env, the smoke test its token", async () => {
    const tokens = "tenant-a:tok-a-Zq8Xw3Lp9Rt6Yu1V,tenant-b:tok-b-Mn4Bv7Cx2Kj5Hg8F";
    const run = await runCloudProgram(
      { ...prod(), gatewayTenantTokens: tokens, gatewayRateLimitRps: "100" },
      { stack: "prod", secretKeys: ["gatewayTenantTokens"] },
    );
    const gateways = run.mocks.containers().filter((c) => /gateway-\d+$/.test(String(c.inputs.name)));
    assert.equal(gateways.length, 2);
    for (const g of gateways) {
      assert.ok(isSecretValue(g.inputs.envs), `${g.name} env is a secret`);
      const env: string[] = reveal(g.inputs.envs);
      assert.ok(
        env.includes(`GATEWAY_TENANT_TOKENS=${tokens}`) && env.includes("GATEWAY_RATE_LIMIT_RPS=100"),
      );
    }
    const job = run.mocks.containers().find((c) => String(c.inputs.name).endsWith("-validation"))!;
    assert.ok(isSecretValue(job.inputs.envs));
    assert.ok(reveal<string[]>(job.inputs.envs).includes("TENANT_TOKEN=tok-a-Zq8Xw3Lp9Rt6Yu1V"));
    assert.equal(run.secret.tenantTokens, true);
    assert.ok(!plainText(run).includes("Zq8Xw3Lp9Rt6Yu1V"), "a token in a plain-text input");
  });

  it("runs a single NATS host when natsReplicas is 1", async () => {
    const run = await runCloudProgram({ ...prod(), natsReplicas: "1" }, { stack: "prod" });
    assert.equal(run.mocks.of(AWS.volume).length, 1);
    assert.equal(run.outputs.natsUrl, "nats://nats-0:4222");
  });

  it("rejects missing images and keys with messages naming the keys", async () => {
    const base = prod();
    delete base["proving-ground:gatewayImage"];
    delete base["proving-ground:awsDeployerPublicKey"];
    await assert.rejects(
      runCloudProgram({ ...base, awsAvailabilityZones: "1", awsVpcCidr: "10.0.0.0/24" }, { stack: "prod" }),
      (e: Error) => {
        for (const k of ["gatewayImage", "awsDeployerPublicKey", "awsAvailabilityZones", "awsVpcCidr"]) {
          assert.match(e.message, new RegExp(`proving-ground:${k}`));
        }
        return true;
      },
    );
  });

  it("rejects an unknown key in the aws namespace of the project", async () => {
    await assert.rejects(
      runCloudProgram({ ...prod(), awsSshCidr: "0.0.0.0/0" }, { stack: "prod" }),
      /proving-ground:awsSshCidr is not a known config key/,
    );
  });
});
