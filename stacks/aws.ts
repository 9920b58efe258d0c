// The `aws` target: the environment on EC2 hosts in a private VPC, deployed with the very components the
// docker target uses. The AWS parts are components of their own (components/aws/): the network
// (AwsNetwork), one security group per role (RoleSecurityGroups), the Docker hosts (DockerHost: Docker
// installed by cloud-init, reached by a docker.Provider over SSH inside an SSM Session Manager tunnel, so
// no security group opens port 22 and the hosts need no public address) and the load balancer in front
// of the gateway hosts (GatewayLoadBalancer), whose listener is the only 0.0.0.0/0 ingress.
//
// Placement:
//  - NatsCluster gets one node placement per NATS host (`nodes`): node i's container and volume on host
//    i's provider with an image pulled there, its ports published on the host and the host's name
//    advertised to clients and peers.
//  - BeamlineService runs one instance per gateway/router host (replicas 1, its port published).
//  - Observability and ValidationJob run on the monitoring host; the UIs stay bound to 127.0.0.1 there
//    (reach them with SSM port forwarding).
//  - Every container gets /etc/hosts entries nats-i, router-i, gateway-i -> the hosts' private IPs,
//    so the names the components render (nats://nats-0:4222, ...) resolve across hosts.
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { tagger } from "../components/aws/common";
import { amazonLinuxAmi, DockerHost, HostProfile } from "../components/aws/docker-host";
import { GatewayLoadBalancer, listenerPort } from "../components/aws/load-balancer";
import { AwsNetwork } from "../components/aws/network";
import { RoleSecurityGroups, type HostRole } from "../components/aws/security-groups";
import { objectPrefix } from "../components/common";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, NatsCluster, natsClientUrl } from "../components/nats";
import { Observability } from "../components/observability";
import { BeamlineService, SERVICE_PORTS } from "../components/service";
import { ValidationJob } from "../components/validation";
import { HTTP_ROUTES } from "../services/common/service-contract";
import { serviceArgs, type AwsConfig, type LoadedConfig } from "./config";
import { observabilityParts, validationResult, validationToken } from "./docker-wiring";
import { natsPassword } from "./nats-password";
import type { ChaosTarget, Role, StackOutputs, StackOutputValues } from "./outputs";

/** The aws target's config (its aws* keys in `config.aws`) and the secrets. */
export type AwsStackOptions = LoadedConfig<AwsConfig>;

export function buildAwsStack(opts: AwsStackOptions): StackOutputValues {
  const { config } = opts;
  const settings = config.aws;
  const { stack } = config;
  const prefix = objectPrefix(stack);
  const region = new pulumi.Config("aws").require("region");
  const tags = tagger(prefix, stack);

  const availabilityZones = aws.getAvailabilityZonesOutput({ state: "available" }).names.apply((names) => {
    if (names.length < settings.zones) {
      throw new Error(
        `proving-ground:awsAvailabilityZones is ${settings.zones} but ${region} offers ${names.length} zones`,
      );
    }
    return names.slice(0, settings.zones);
  });
  const network = new AwsNetwork("network", {
    vpcCidr: settings.vpcCidr,
    availabilityZones,
    zones: settings.zones,
    natGatewayPlacement: settings.natGatewayPlacement,
    tags,
  });
  const groups = new RoleSecurityGroups("security-groups", {
    vpcId: network.vpc.id,
    lbIngressCidrs: settings.lbIngressCidrs,
    listenerPort: listenerPort(settings.certificateArn),
    tags,
  });

  // ---- the hosts: nats-0.., router-0.., gateway-0.. spread over the zones, and one monitoring host.
  const profile = new HostProfile("host", { tags });
  const ami = settings.amiId ?? amazonLinuxAmi();
  const types = settings.instanceTypes;
  const host = (role: HostRole, index: number) =>
    new DockerHost(role === "monitoring" ? "monitoring" : `${role}-${index}`, {
      role,
      stack,
      ami,
      instanceType: role === "nats" || role === "monitoring" ? types[role] : types.service,
      subnetId: network.privateSubnets[index % settings.zones].id,
      securityGroupIds: [groups.hosts[role].id],
      instanceProfile: profile.profileName,
      deployer: { user: settings.deployerUser, publicKey: settings.deployerPublicKey },
      region,
      dataVolume:
        role === "nats"
          ? { sizeGiB: settings.jetstreamVolumeGiB, retainOnDelete: config.nats.retainVolumes }
          : undefined,
      networkName: prefix,
      tags,
    });
  const hostsOf = (role: HostRole, n: number) => Array.from({ length: n }, (_, i) => host(role, i));
  const natsHosts = hostsOf("nats", config.nats.replicas);
  const routerHosts = hostsOf("router", config.router.replicas);
  const gatewayHosts = hostsOf("gateway", config.gateway.replicas);
  const monitoringHost = host("monitoring", 0);
  const allHosts = [...natsHosts, ...routerHosts, ...gatewayHosts, monitoringHost];

  // ---- name resolution across hosts: every container resolves the hosts' names to their private IPs.
  const hostEntries = allHosts.map((h) => ({ host: h.hostName, ip: h.instance.privateIp }));
  const addHosts: pulumi.ResourceTransformation = (a) =>
    a.type === "docker:index/container:Container"
      ? { props: { ...a.props, hosts: hostEntries }, opts: a.opts }
      : undefined;
  const on = (h: DockerHost) => ({ provider: h.provider, transformations: [addHosts] });

  const password = natsPassword(opts.natsPassword);
  const natsCluster = new NatsCluster(
    "nats",
    {
      stack,
      namePrefix: prefix,
      network: prefix,
      image: config.nats.image,
      replicas: config.nats.replicas,
      user: config.nats.user,
      password,
      limits: config.nats.limits,
      retainVolumes: config.nats.retainVolumes,
      nodes: natsHosts.map((h) => ({
        provider: h.provider,
        network: h.network.name,
        image: new docker.RemoteImage(
          `${h.hostName}-nats-image`,
          { name: config.nats.image, keepLocally: true },
          { provider: h.provider },
        ).imageId,
        hostName: h.hostName,
      })),
    },
    { transformations: [addHosts] },
  );
  const natsUrl = natsClientUrl(config.nats.replicas);
  const service = (kind: "gateway" | "router", h: DockerHost) =>
    new BeamlineService(
      h.hostName,
      {
        ...serviceArgs(opts, kind),
        stack,
        namePrefix: prefix,
        network: h.network.name,
        replicas: 1,
        nats: { url: natsUrl, user: config.nats.user, password },
        // Published on all interfaces of the host; the security groups decide who may connect.
        publish: { bindAddress: "0.0.0.0", hostPort: SERVICE_PORTS[kind] },
      },
      { ...on(h), dependsOn: natsCluster.containers },
    );
  const routers = routerHosts.map((h) => service("router", h));
  const gateways = gatewayHosts.map((h) => service("gateway", h));

  const obs = new Observability(
    "observability",
    {
      stack,
      namePrefix: prefix,
      network: monitoringHost.network.name,
      // UIs stay on the monitoring host's loopback: `aws ssm start-session ... PortForwardingSession`.
      bindAddress: "127.0.0.1",
      ...observabilityParts(config.observability, {
        gateways: gatewayHosts.map((h) => h.hostName),
        routers: routerHosts.map((h) => h.hostName),
        nats: natsHosts.map((h) => h.hostName),
      }),
    },
    on(monitoringHost),
  );

  const gatewayImageName = config.gateway.image.kind === "image" ? config.gateway.image.name : "";
  const validation = config.validation.enabled
    ? new ValidationJob(
        "validation",
        {
          stack,
          namePrefix: prefix,
          network: monitoringHost.network.name,
          image: new docker.RemoteImage(
            "validation-image",
            { name: gatewayImageName, keepLocally: true },
            { provider: monitoringHost.provider },
          ).imageId,
          gatewayUrl: `http://${gatewayHosts[0].hostName}:${SERVICE_PORTS.gateway}`,
          tenant: config.validation.tenant,
          token: validationToken(opts),
          dependsOn: [
            ...natsCluster.containers,
            ...routers.flatMap((r) => r.containers),
            ...gateways.flatMap((g) => g.containers),
            ...obs.all,
          ],
        },
        on(monitoringHost),
      )
    : undefined;

  const lb = new GatewayLoadBalancer("gateway", {
    vpcId: network.vpc.id,
    publicSubnetIds: network.publicSubnets.map((s) => s.id),
    securityGroupId: groups.lb.id,
    targets: gatewayHosts.map((h) => ({ name: h.hostName, instanceId: h.instance.id })),
    targetPort: SERVICE_PORTS.gateway,
    healthPath: HTTP_ROUTES.health,
    certificateArn: settings.certificateArn,
    tags,
  });

  // ---- outputs in the StackOutputs shape.
  const ips = (hs: DockerHost[]) => pulumi.all(hs.map((h) => h.instance.privateIp));
  const ssmTarget = (
    hs: DockerHost[],
    containers: pulumi.Input<string[]>,
    volumes?: pulumi.Input<string[]>,
  ) =>
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
      a.map((ip) => `http://${ip}:${SERVICE_PORTS.router}${HTTP_ROUTES.metrics}`),
    ),
    chaosTargets: pulumi.all(chaosTargets) as pulumi.Output<StackOutputs["chaosTargets"]>,
    validation: validationResult(validation),
    // The link proxy is a docker-target part (linkProxyEnabled is refused elsewhere).
    linkProxy: undefined,
  };
}
