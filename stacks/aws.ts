// The `aws` target: the environment on EC2 hosts in a private VPC, deployed with the very components the
// docker target uses. Each host runs Docker (installed by cloud-init) and gets its own docker.Provider
// that reaches the host's engine over SSH *inside an SSM Session Manager tunnel* (stacks/ssm-proxy.ts),
// so no security group ever opens port 22 and the hosts need no public address.
//
// Placement without forking the components:
//  - NatsCluster renders a 3-node cluster; a resource transformation puts node i (container and
//    volume) on NATS host i's provider, publishes the client/cluster/monitor ports on that host and
//    swaps in an image pulled on that host.
//  - BeamlineService runs one instance per gateway/router host (replicas 1, its port published).
//  - Observability and ValidationJob run on the monitoring host; the UIs stay bound to 127.0.0.1 there
//    (reach them with SSM port forwarding).
//  - Every container gets /etc/hosts entries nats-i, router-i, gateway-i -> the hosts' private IPs,
//    so the names the components render (nats://nats-0:4222, ...) resolve across hosts.
// The gateway hosts sit behind an internet-facing ALB whose listener is the only 0.0.0.0/0 ingress.
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { objectPrefix } from "../components/common";
import {
  NATS_CLIENT_PORT,
  NATS_CLUSTER_PORT,
  NATS_MONITOR_PORT,
  NatsCluster,
  natsClientUrl,
} from "../components/nats";
import { Observability } from "../components/observability";
import { BeamlineService, SERVICE_PORTS } from "../components/service";
import { ValidationJob } from "../components/validation";
import { renderCloudInit } from "./cloud-init";
import { renderSsmProxyCommand } from "./ssm-proxy";
import { parseAwsSettings, type AwsSettings } from "./cloud-config";
import type { LoadedConfig, StackConfig } from "./config";
import type { StackOutputValues } from "./docker";
import type { ChaosTarget, Role, StackOutputs } from "./outputs";

/** Device name the JetStream EBS volume is attached as (cloud-init mounts it for Docker's volumes). */
export const DATA_DEVICE = "/dev/sdf";

/**
 * Private and public subnet CIDRs for `zones` zones, carved from the VPC CIDR in blocks 4 bits longer
 * (a /16 gives /20s): private subnets take blocks 0..zones-1, public ones blocks 8..8+zones-1, leaving
 * room to add zones without renumbering. Pure; throws on a CIDR it cannot split.
 */
export function subnetCidrs(vpcCidr: string, zones: number): { private: string[]; public: string[] } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(vpcCidr);
  if (!m) throw new Error(`not an IPv4 CIDR: ${vpcCidr}`);
  const prefix = Number(m[5]);
  const sub = prefix + 4;
  if (sub > 28 || zones > 8) throw new Error(`cannot carve ${zones} zones out of ${vpcCidr}`);
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
  const size = 2 ** (32 - sub);
  const block = (i: number) => {
    const n = (base + i * size) >>> 0;
    return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")}/${sub}`;
  };
  return {
    private: Array.from({ length: zones }, (_, i) => block(i)),
    public: Array.from({ length: zones }, (_, i) => block(8 + i)),
  };
}

/** Reads the aws-only config keys from the Pulumi runtime (see stacks/cloud-config.ts). */
export function readAwsSettings(config: StackConfig): AwsSettings {
  return parseAwsSettings(pulumi.runtime.allConfig(), config);
}

export interface AwsStackOptions extends LoadedConfig {
  settings?: AwsSettings;
}

type HostRole = "nats" | "router" | "gateway" | "monitoring";

interface Host {
  role: HostRole;
  index: number;
  /** Name other containers use for it: nats-0, router-1, gateway-0, monitoring. */
  alias: string;
  instance: aws.ec2.Instance;
  provider: docker.Provider;
}

export function buildAwsStack(opts: AwsStackOptions): StackOutputValues {
  const { config } = opts;
  const settings = opts.settings ?? readAwsSettings(config);
  const { stack } = config;
  const prefix = objectPrefix(stack);
  const region = new pulumi.Config("aws").require("region");
  const tags = (name: string, role?: string) => ({
    Name: `${prefix}-${name}`,
    "proving-ground:stack": stack,
    ...(role ? { "proving-ground:role": role } : {}),
  });

  // ---- network: VPC, public subnets (ALB, NAT) and private subnets (hosts) in every zone.
  const azs = aws.getAvailabilityZonesOutput({ state: "available" }).names.apply((names) => {
    if (names.length < settings.zones) {
      throw new Error(
        `proving-ground:awsAvailabilityZones is ${settings.zones} but ${region} offers ${names.length} zones`,
      );
    }
    return names.slice(0, settings.zones);
  });
  const cidrs = subnetCidrs(settings.vpcCidr, settings.zones);
  const vpc = new aws.ec2.Vpc("vpc", {
    cidrBlock: settings.vpcCidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: tags("vpc"),
  });
  const igw = new aws.ec2.InternetGateway("igw", { vpcId: vpc.id, tags: tags("igw") });
  const publicRt = new aws.ec2.RouteTable("public-rt", {
    vpcId: vpc.id,
    routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
    tags: tags("public"),
  });
  const zoneIdx = Array.from({ length: settings.zones }, (_, i) => i);
  const publicSubnets = zoneIdx.map((i) => {
    const s = new aws.ec2.Subnet(`public-${i}`, {
      vpcId: vpc.id,
      cidrBlock: cidrs.public[i],
      availabilityZone: azs[i],
      // Nothing launched here gets a public IP by accident; only the ALB and NAT live here.
      mapPublicIpOnLaunch: false,
      tags: tags(`public-${i}`),
    });
    new aws.ec2.RouteTableAssociation(`public-${i}`, { subnetId: s.id, routeTableId: publicRt.id });
    return s;
  });
  const natCount = settings.natGateways === "perZone" ? settings.zones : 1;
  const nats = Array.from({ length: natCount }, (_, i) => {
    const eip = new aws.ec2.Eip(`nat-${i}`, { domain: "vpc", tags: tags(`nat-${i}`) });
    return new aws.ec2.NatGateway(
      `nat-${i}`,
      { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: tags(`nat-${i}`) },
      { dependsOn: [igw] },
    );
  });
  const privateSubnets = zoneIdx.map((i) => {
    const s = new aws.ec2.Subnet(`private-${i}`, {
      vpcId: vpc.id,
      cidrBlock: cidrs.private[i],
      availabilityZone: azs[i],
      mapPublicIpOnLaunch: false,
      tags: tags(`private-${i}`),
    });
    const rt = new aws.ec2.RouteTable(`private-${i}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[i % natCount].id }],
      tags: tags(`private-${i}`),
    });
    new aws.ec2.RouteTableAssociation(`private-${i}`, { subnetId: s.id, routeTableId: rt.id });
    return s;
  });

  // ---- security groups: one per role, rules reference groups (not CIDRs) except the LB listener.
  const sg = (role: string, description: string) =>
    new aws.ec2.SecurityGroup(`${role}-sg`, { vpcId: vpc.id, description, tags: tags(`${role}-sg`, role) });
  const lbSg = sg("lb", "gateway load balancer: the only internet-facing listener");
  const gatewaySg = sg("gateway", "gateway hosts: API from the load balancer, metrics from monitoring");
  const routerSg = sg("router", "router hosts: metrics from monitoring");
  const natsSg = sg("nats", "NATS hosts: clients from services, routes between nodes, monitoring");
  const monitoringSg = sg("monitoring", "monitoring host: no ingress (UIs via SSM port forwarding)");
  const allow = (
    name: string,
    to: aws.ec2.SecurityGroup,
    port: number,
    from: aws.ec2.SecurityGroup,
    what: string,
  ) =>
    new aws.vpc.SecurityGroupIngressRule(name, {
      securityGroupId: to.id,
      referencedSecurityGroupId: from.id,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description: what,
    });
  const listenerPort = settings.certificateArn ? 443 : 80;
  settings.lbIngressCidrs.forEach(
    (cidr, i) =>
      new aws.vpc.SecurityGroupIngressRule(`lb-listener-${i}`, {
        securityGroupId: lbSg.id,
        cidrIpv4: cidr,
        ipProtocol: "tcp",
        fromPort: listenerPort,
        toPort: listenerPort,
        description: "gateway API listener",
      }),
  );
  const gw = SERVICE_PORTS.gateway;
  new aws.vpc.SecurityGroupEgressRule("lb-to-gateway", {
    securityGroupId: lbSg.id,
    referencedSecurityGroupId: gatewaySg.id,
    ipProtocol: "tcp",
    fromPort: gw,
    toPort: gw,
    description: "forward to the gateway hosts",
  });
  allow("gateway-from-lb", gatewaySg, gw, lbSg, "API traffic from the load balancer");
  allow("gateway-from-monitoring", gatewaySg, gw, monitoringSg, "metrics scrape and blackbox probe");
  allow("router-from-monitoring", routerSg, SERVICE_PORTS.router, monitoringSg, "metrics scrape");
  allow("nats-client-from-gateway", natsSg, NATS_CLIENT_PORT, gatewaySg, "NATS clients: gateway");
  allow("nats-client-from-router", natsSg, NATS_CLIENT_PORT, routerSg, "NATS clients: router");
  allow("nats-cluster-from-nats", natsSg, NATS_CLUSTER_PORT, natsSg, "NATS cluster routes");
  allow("nats-monitor-from-monitoring", natsSg, NATS_MONITOR_PORT, monitoringSg, "NATS monitoring");
  allow("nats-client-from-monitoring", natsSg, NATS_CLIENT_PORT, monitoringSg, "validation and exporters");
  // Hosts need outbound HTTPS for SSM, package installs and image pulls (through the NAT gateway).
  for (const [role, g] of [
    ["gateway", gatewaySg],
    ["router", routerSg],
    ["nats", natsSg],
    ["monitoring", monitoringSg],
  ] as const) {
    new aws.vpc.SecurityGroupEgressRule(`${role}-egress`, {
      securityGroupId: g.id,
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "-1",
      description: "outbound via NAT (SSM, packages, images, other roles)",
    });
  }

  // ---- instance identity: SSM Session Manager only.
  const role = new aws.iam.Role("host-role", {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    }),
    tags: tags("host-role"),
  });
  new aws.iam.RolePolicyAttachment("host-ssm", {
    role: role.name,
    policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  });
  const profile = new aws.iam.InstanceProfile("host-profile", {
    role: role.name,
    tags: tags("host-profile"),
  });

  const ami =
    settings.amiId ??
    aws.ec2
      .getAmiOutput({
        mostRecent: true,
        owners: ["amazon"],
        filters: [
          { name: "name", values: ["al2023-ami-2023.*-x86_64"] },
          { name: "architecture", values: ["x86_64"] },
        ],
      })
      .apply((a) => a.id);

  const groups: Record<HostRole, aws.ec2.SecurityGroup> = {
    nats: natsSg,
    router: routerSg,
    gateway: gatewaySg,
    monitoring: monitoringSg,
  };
  const instanceTypes: Record<HostRole, string> = {
    nats: settings.instanceTypes.nats,
    router: settings.instanceTypes.service,
    gateway: settings.instanceTypes.service,
    monitoring: settings.instanceTypes.monitoring,
  };
  const host = (hostRole: HostRole, index: number): Host => {
    const alias = hostRole === "monitoring" ? "monitoring" : `${hostRole}-${index}`;
    const zone = index % settings.zones;
    const isNats = hostRole === "nats";
    const instance = new aws.ec2.Instance(`${alias}-host`, {
      ami,
      instanceType: instanceTypes[hostRole],
      subnetId: privateSubnets[zone].id,
      vpcSecurityGroupIds: [groups[hostRole].id],
      iamInstanceProfile: profile.name,
      associatePublicIpAddress: false,
      // IMDSv2 only, and a hop limit of 1 so containers cannot reach the instance credentials.
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 30, deleteOnTermination: true },
      userData: renderCloudInit({
        role: alias,
        stack,
        deployerPublicKey: settings.deployerPublicKey,
        user: settings.deployerUser,
        dataVolume: isNats ? { deviceName: DATA_DEVICE } : undefined,
      }),
      userDataReplaceOnChange: true,
      tags: tags(alias, hostRole),
    });
    const dependsOn: pulumi.Resource[] = [instance];
    if (isNats) {
      // A separate, encrypted volume: JetStream data survives replacing the instance.
      const volume = new aws.ebs.Volume(
        `${alias}-jetstream`,
        {
          availabilityZone: instance.availabilityZone,
          size: settings.jetstreamVolumeGiB,
          type: "gp3",
          encrypted: true,
          tags: tags(`${alias}-jetstream`, "nats"),
        },
        { retainOnDelete: config.nats.retainVolumes },
      );
      dependsOn.push(
        new aws.ec2.VolumeAttachment(`${alias}-jetstream`, {
          deviceName: DATA_DEVICE,
          instanceId: instance.id,
          volumeId: volume.id,
        }),
      );
    }
    const provider = new docker.Provider(
      `${alias}-docker`,
      {
        host: pulumi.interpolate`ssh://${settings.deployerUser}@${instance.id}`,
        sshOpts: [
          "-o",
          `ProxyCommand=${renderSsmProxyCommand(region)}`,
          "-o",
          "StrictHostKeyChecking=accept-new",
          "-o",
          "ServerAliveInterval=30",
        ],
      },
      { dependsOn },
    );
    return { role: hostRole, index, alias, instance, provider };
  };
  const natsHosts = Array.from({ length: config.nats.replicas }, (_, i) => host("nats", i));
  const routerHosts = Array.from({ length: config.router.replicas }, (_, i) => host("router", i));
  const gatewayHosts = Array.from({ length: config.gateway.replicas }, (_, i) => host("gateway", i));
  const monitoringHost = host("monitoring", 0);
  const allHosts = [...natsHosts, ...routerHosts, ...gatewayHosts, monitoringHost];

  // ---- name resolution across hosts and component placement.
  const hostEntries = allHosts.map((h) => ({ host: h.alias, ip: h.instance.privateIp }));
  const addHosts: pulumi.ResourceTransformation = (a) =>
    a.type === "docker:index/container:Container"
      ? { props: { ...a.props, hosts: hostEntries }, opts: a.opts }
      : undefined;
  // One docker network per host, all with the stack's name: components take the name, every host has it.
  const networks = allHosts.map(
    (h) =>
      new docker.Network(
        `${h.alias}-network`,
        {
          name: prefix,
          driver: "bridge",
          labels: [
            { label: "proving-ground.stack", value: stack },
            { label: "proving-ground.role", value: "network" },
          ],
        },
        { provider: h.provider },
      ),
  );
  const networkOn = (h: Host) => networks[allHosts.indexOf(h)].name;

  const password = pulumi.secret(
    opts.natsPassword ?? new random.RandomPassword("nats-password", { length: 32, special: false }).result,
  );

  const natsImages = natsHosts.map(
    (h) =>
      new docker.RemoteImage(
        `${h.alias}-nats-image`,
        { name: config.nats.image, keepLocally: true },
        { provider: h.provider },
      ).imageId,
  );
  const placeNats: pulumi.ResourceTransformation = (a) => {
    // Matched on the docker object name (pg-<stack>-nats-<i>[-data]), which the component documents
    // and the outputs expose, rather than on Pulumi resource names.
    const m = typeof a.props.name === "string" ? /-nats-(\d+)(-data)?$/.exec(a.props.name) : null;
    if (!m) return undefined;
    const i = Number(m[1]);
    const props = { ...a.props };
    if (a.type === "docker:index/container:Container") {
      props.image = natsImages[i];
      // Published on the host so routes and clients on other hosts reach this node.
      props.ports = [NATS_CLIENT_PORT, NATS_CLUSTER_PORT, NATS_MONITOR_PORT].map((p) => ({
        internal: p,
        external: p,
      }));
      // Advertise the host-resolvable name, not the container's bridge IP (unreachable from other
      // hosts), in cluster gossip and in the connect_urls clients learn.
      const alias = natsHosts[i].alias;
      props.command = pulumi
        .output(a.props.command as pulumi.Input<string[]>)
        .apply((cmd) => [
          ...cmd,
          "--client_advertise",
          `${alias}:${NATS_CLIENT_PORT}`,
          "--cluster_advertise",
          `${alias}:${NATS_CLUSTER_PORT}`,
        ]);
    }
    return { props, opts: { ...a.opts, provider: natsHosts[i].provider } };
  };
  const natsCluster = new NatsCluster(
    "nats",
    {
      stack,
      namePrefix: prefix,
      network: pulumi.all(natsHosts.map(networkOn)).apply(() => prefix),
      image: config.nats.image,
      replicas: config.nats.replicas,
      user: config.nats.user,
      password,
      limits: config.nats.limits,
      retainVolumes: config.nats.retainVolumes,
    },
    { transformations: [placeNats, addHosts] },
  );
  const natsUrl = natsClientUrl(config.nats.replicas);
  const service = (kind: "gateway" | "router", h: Host) =>
    new BeamlineService(
      h.alias,
      {
        kind,
        stack,
        namePrefix: prefix,
        network: networkOn(h),
        image: config[kind].image,
        replicas: 1,
        limits: config[kind].limits,
        natsUrl,
        natsUser: config.nats.user,
        natsPassword: password,
        streamReplicas: config.nats.streamReplicas,
        extraEnv: config[kind].env,
        requestTimeoutMs: config.gateway.requestTimeoutMs,
        tenantTokens: opts.tenantTokens,
        rateLimitRps: config.gateway.rateLimitRps,
        rateLimitBurst: config.gateway.rateLimitBurst,
        faultsEnabled: config.router.faultsEnabled,
        // Published on all interfaces of the host; the security groups decide who may connect.
        publish: { bindAddress: "0.0.0.0", hostPort: SERVICE_PORTS[kind] },
      },
      { provider: h.provider, transformations: [addHosts], dependsOn: natsCluster.containers },
    );
  const routers = routerHosts.map((h) => service("router", h));
  const gateways = gatewayHosts.map((h) => service("gateway", h));

  const o = config.observability;
  const obs = new Observability(
    "observability",
    {
      stack,
      namePrefix: prefix,
      network: networkOn(monitoringHost),
      // UIs stay on the monitoring host's loopback: `aws ssm start-session ... PortForwardingSession`.
      bindAddress: "127.0.0.1",
      scrapeIntervalSeconds: o.scrapeIntervalSeconds,
      alertWebhookUrl: o.alertWebhookUrl,
      gateways: gatewayHosts.map((h) => `${h.alias}:${SERVICE_PORTS.gateway}`),
      routers: routerHosts.map((h) => `${h.alias}:${SERVICE_PORTS.router}`),
      natsMonitors: natsHosts.map((h) => `http://${h.alias}:${NATS_MONITOR_PORT}`),
      gatewayProbes: gatewayHosts.map((h) => `http://${h.alias}:${SERVICE_PORTS.gateway}`),
      prometheus: o.prometheus,
      alertmanager: o.alertmanager,
      blackbox: o.blackbox,
      grafana: o.grafana.enabled ? o.grafana : undefined,
      natsExporter: o.natsExporter.enabled ? o.natsExporter : undefined,
      cadvisor: o.cadvisor.enabled ? o.cadvisor : undefined,
      loki: o.loki.enabled ? o.loki : undefined,
    },
    { provider: monitoringHost.provider, transformations: [addHosts] },
  );

  const gatewayImageName = config.gateway.image.kind === "image" ? config.gateway.image.name : "";
  const validation = config.validation.enabled
    ? new ValidationJob(
        "validation",
        {
          stack,
          namePrefix: prefix,
          network: networkOn(monitoringHost),
          image: new docker.RemoteImage(
            "validation-image",
            { name: gatewayImageName, keepLocally: true },
            { provider: monitoringHost.provider },
          ).imageId,
          gatewayUrl: `http://${gatewayHosts[0].alias}:${SERVICE_PORTS.gateway}`,
          tenant: config.validation.tenant,
          token:
            opts.tenantTokens && pulumi.secret(opts.tenantTokens.apply((t) => t[config.validation.tenant])),
          dependsOn: [
            ...natsCluster.containers,
            ...routers.flatMap((r) => r.containers),
            ...gateways.flatMap((g) => g.containers),
            ...obs.all,
          ],
        },
        { provider: monitoringHost.provider, transformations: [addHosts] },
      )
    : undefined;

  // ---- load balancer in front of the gateway hosts.
  const lb = new aws.lb.LoadBalancer("gateway-lb", {
    loadBalancerType: "application",
    internal: false,
    subnets: publicSubnets.map((s) => s.id),
    securityGroups: [lbSg.id],
    dropInvalidHeaderFields: true,
    tags: tags("gateway-lb", "gateway"),
  });
  const tg = new aws.lb.TargetGroup("gateway-tg", {
    vpcId: vpc.id,
    port: gw,
    protocol: "HTTP",
    targetType: "instance",
    healthCheck: { path: "/health", port: String(gw), matcher: "200", interval: 10, healthyThreshold: 2 },
    tags: tags("gateway-tg", "gateway"),
  });
  gatewayHosts.forEach(
    (h) =>
      new aws.lb.TargetGroupAttachment(`${h.alias}-tg`, {
        targetGroupArn: tg.arn,
        targetId: h.instance.id,
        port: gw,
      }),
  );
  new aws.lb.Listener("gateway-listener", {
    loadBalancerArn: lb.arn,
    port: listenerPort,
    protocol: settings.certificateArn ? "HTTPS" : "HTTP",
    ...(settings.certificateArn
      ? { certificateArn: settings.certificateArn, sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }
      : {}),
    defaultActions: [{ type: "forward", targetGroupArn: tg.arn }],
  });

  // ---- outputs in the StackOutputs shape.
  const ips = (hs: Host[]) => pulumi.all(hs.map((h) => h.instance.privateIp));
  const ssmTarget = (hs: Host[], containers: pulumi.Input<string[]>, volumes?: pulumi.Input<string[]>) =>
    pulumi
      .all([pulumi.all(hs.map((h) => h.instance.id)), containers, volumes ?? []])
      .apply(([instanceIds, names, vols]) => ({
        driver: "ssm" as const,
        region,
        instanceIds,
        containers: names,
        networks: [prefix],
        ...(vols.length ? { volumes: vols } : {}),
      }));
  const one = (c: docker.Container | undefined) => (c ? c.name.apply((n) => [n]) : undefined);
  const chaosTargets: Partial<Record<Role, pulumi.Output<ChaosTarget>>> = {
    nats: ssmTarget(natsHosts, natsCluster.containerNames, natsCluster.volumeNames),
    router: ssmTarget(routerHosts, pulumi.all(routers.map((r) => r.containers[0].name))),
    gateway: ssmTarget(gatewayHosts, pulumi.all(gateways.map((g) => g.containers[0].name))),
    prometheus: ssmTarget([monitoringHost], one(obs.prometheus)!),
    alertmanager: ssmTarget([monitoringHost], one(obs.alertmanager)!),
    blackbox: ssmTarget([monitoringHost], one(obs.blackbox)!),
  };
  if (obs.grafana) chaosTargets.grafana = ssmTarget([monitoringHost], one(obs.grafana)!);

  const scheme = settings.certificateArn ? "https" : "http";
  return {
    target: "aws",
    stack,
    gatewayUrl: pulumi.interpolate`${scheme}://${lb.dnsName}`,
    natsUrl,
    natsHostUrls: ips(natsHosts).apply((a) => a.map((ip) => `nats://${ip}:${NATS_CLIENT_PORT}`)),
    natsUser: config.nats.user,
    natsPassword: password,
    tenantTokens: opts.tenantTokens && pulumi.secret(opts.tenantTokens),
    natsMonitorUrls: ips(natsHosts).apply((a) => a.map((ip) => `http://${ip}:${NATS_MONITOR_PORT}`)),
    prometheusUrl: obs.prometheusUrl,
    alertmanagerUrl: obs.alertmanagerUrl,
    grafanaUrl: obs.grafanaUrl,
    routerMetricsUrls: ips(routerHosts).apply((a) =>
      a.map((ip) => `http://${ip}:${SERVICE_PORTS.router}/metrics`),
    ),
    chaosTargets: pulumi.all(chaosTargets) as pulumi.Output<StackOutputs["chaosTargets"]>,
    validation: validation
      ? pulumi
          .all([validation.exitCode, validation.logTail])
          .apply(([exitCode, logTail]) => ({ exitCode, logTail }))
      : undefined,
  };
}
