// The `docker` target: the whole environment on one Docker Engine (the machine running `pulumi up`, or
// another engine through an explicit provider). One network per stack; only the gateway and the UIs are
// published, on the configured bind address. Host-reachable NATS and router URLs come from the
// containers' addresses on the stack network, which a Linux host routes to directly.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { labels, objectPrefix } from "../components/common";
import { LINK_PROXY_API_PORT, LinkProxy } from "../components/link-proxy";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, NatsCluster, natsClientUrl } from "../components/nats";
import { Observability } from "../components/observability";
import { BeamlineService, SERVICE_PORTS } from "../components/service";
import { ValidationJob } from "../components/validation";
import { HTTP_ROUTES } from "../services/common/service-contract";
import { serviceArgs, type DockerConfig, type LoadedConfig } from "./config";
import { observabilityParts, validationResult, validationToken } from "./docker-wiring";
import { natsPassword } from "./nats-password";
import type { ChaosTarget, Role, StackOutputs, StackOutputValues } from "./outputs";

/** Addresses of containers on one network, from the provider's networkDatas output. */
function addressesOn(containers: docker.Container[], network: pulumi.Input<string>): pulumi.Output<string[]> {
  const datas = pulumi.all(containers.map((c) => c.networkDatas));
  return pulumi.all([network, datas]).apply(([net, all]) =>
    all.map((d, i) => {
      const entry = (d ?? []).find((n) => n.networkName === net);
      if (!entry?.ipAddress) throw new Error(`container ${i} has no address on network ${net}`);
      return entry.ipAddress;
    }),
  );
}

function dockerTarget(
  containers: docker.Container[],
  network: pulumi.Output<string>,
  volumes: docker.Volume[] = [],
): pulumi.Output<ChaosTarget> {
  return pulumi
    .all([pulumi.all(containers.map((c) => c.name)), network, pulumi.all(volumes.map((v) => v.name))])
    .apply(([names, net, vols]) => ({
      driver: "docker" as const,
      containers: names,
      networks: [net],
      volumes: vols,
    }));
}

/**
 * The docker target's config, plus the secrets: the NATS password (absent: generated, natsPassword) and
 * the tenant → bearer token map (`gatewayTenantTokens`; absent: no authentication).
 */
export type DockerStackOptions = LoadedConfig<DockerConfig>;

export function buildDockerStack(loaded: DockerStackOptions): StackOutputValues {
  const { config, tenantTokens } = loaded;
  const { stack } = config;
  const prefix = objectPrefix(stack);

  const network = new docker.Network("network", {
    name: prefix,
    driver: "bridge",
    labels: labels(stack, "network"),
  });

  const password = natsPassword(loaded.natsPassword);

  const nats = new NatsCluster("nats", {
    stack,
    namePrefix: prefix,
    network: network.name,
    image: new docker.RemoteImage("nats-image", { name: config.nats.image, keepLocally: true }).imageId,
    replicas: config.nats.replicas,
    user: config.nats.user,
    password,
    limits: config.nats.limits,
    retainVolumes: config.nats.retainVolumes,
  });
  const natsUrl = natsClientUrl(config.nats.replicas);
  const common = {
    stack,
    namePrefix: prefix,
    network: network.name,
    nats: { url: natsUrl, user: config.nats.user, password },
  };

  // The link proxy (optional): Toxiproxy with one proxy per NATS node. Only the routers connect through
  // it, so chaos can slow the router ↔ NATS links (link-latency) while the gateway's stay direct.
  const linkProxy = config.linkProxy.enabled
    ? new LinkProxy("link-proxy", {
        stack,
        namePrefix: prefix,
        network: network.name,
        image: config.linkProxy.image,
        natsNodes: nats.nodeNames,
      })
    : undefined;

  // Services start after NATS is healthy. The router goes first: it creates the intake stream with the
  // configured replicas (the gateway would create it with one), and a healthy gateway then has a router.
  // The router's health is its liveness (/health): it has set the stream up ~0.1 s after it listens when
  // NATS runs, and the gateway container is created ~2 s after the router's start (GATE_TIMING). A new
  // 3-node cluster may still be electing its JetStream leader then; both services wait for it and retry,
  // so there the order is a head start, not a guarantee.
  // Only the containers wait (startAfter): both images are built or pulled while NATS starts.
  const router = new BeamlineService("router", {
    ...common,
    ...(linkProxy ? { nats: { ...common.nats, url: linkProxy.natsUrl } } : {}),
    ...serviceArgs(loaded, "router"),
    startAfter: [...nats.containers, ...(linkProxy ? [linkProxy.container] : [])],
  });
  const gateway = new BeamlineService("gateway", {
    ...common,
    ...serviceArgs(loaded, "gateway"),
    publish: { bindAddress: config.bindAddress, hostPort: config.gateway.hostPort },
    startAfter: [...nats.containers, ...router.containers],
  });

  const obs = new Observability("observability", {
    stack,
    namePrefix: prefix,
    network: network.name,
    bindAddress: config.bindAddress,
    ...observabilityParts(config.observability, {
      gateways: gateway.aliases,
      routers: router.aliases,
      nats: nats.nodeNames,
    }),
  });

  const validation = config.validation.enabled
    ? new ValidationJob("validation", {
        stack,
        namePrefix: prefix,
        network: network.name,
        image: gateway.imageRef,
        gatewayUrl: `http://gateway:${SERVICE_PORTS.gateway}`,
        tenant: config.validation.tenant,
        token: validationToken(loaded),
        triggers: [gateway.imageDigest, router.imageDigest, natsUrl],
        dependsOn: [
          ...nats.containers,
          ...(linkProxy ? [linkProxy.container] : []),
          ...router.containers,
          ...gateway.containers,
          ...obs.all,
        ],
      })
    : undefined;

  const natsIps = addressesOn(nats.containers, network.name);
  const routerIps = addressesOn(router.containers, network.name);
  const net = network.name;
  const chaosTargets: Partial<Record<Role, pulumi.Output<ChaosTarget>>> = {
    nats: dockerTarget(nats.containers, net, nats.volumes),
    router: dockerTarget(router.containers, net),
    gateway: dockerTarget(gateway.containers, net),
    prometheus: dockerTarget([obs.prometheus], net),
    alertmanager: dockerTarget([obs.alertmanager], net),
    blackbox: dockerTarget([obs.blackbox], net),
  };
  if (obs.grafana) chaosTargets.grafana = dockerTarget([obs.grafana], net);
  if (validation) chaosTargets.validation = dockerTarget([validation.container], net);
  if (linkProxy) chaosTargets["link-proxy"] = dockerTarget([linkProxy.container], net);

  return {
    target: "docker",
    stack,
    gatewayUrl: `http://${config.bindAddress}:${config.gateway.hostPort}`,
    natsUrl,
    natsHostUrls: natsIps.apply((ips) => ips.map((ip) => `nats://${ip}:${NATS_CLIENT_PORT}`)),
    natsUser: config.nats.user,
    natsPassword: password,
    tenantTokens: tenantTokens && pulumi.secret(tenantTokens),
    natsMonitorUrls: natsIps.apply((ips) => ips.map((ip) => `http://${ip}:${NATS_MONITOR_PORT}`)),
    prometheusUrl: obs.prometheusUrl,
    alertmanagerUrl: obs.alertmanagerUrl,
    grafanaUrl: obs.grafanaUrl,
    routerMetricsUrls: routerIps.apply((ips) =>
      ips.map((ip) => `http://${ip}:${SERVICE_PORTS.router}${HTTP_ROUTES.metrics}`),
    ),
    chaosTargets: pulumi.all(chaosTargets) as pulumi.Output<StackOutputs["chaosTargets"]>,
    validation: validationResult(validation),
    linkProxy:
      linkProxy &&
      addressesOn([linkProxy.container], network.name).apply(([ip]) => ({
        apiUrl: `http://${ip}:${LINK_PROXY_API_PORT}`,
        proxies: linkProxy.routes.map((r) => r.name),
      })),
  };
}
