// The `docker` target: the whole environment on one Docker Engine (the machine running `pulumi up`, or
// another engine through an explicit provider). One network per stack; only the gateway and the UIs are
// published, on the configured bind address. Host-reachable NATS and router URLs come from the
// containers' addresses on the stack network, which a Linux host routes to directly.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { labels, objectPrefix } from "../components/common";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, NatsCluster, natsClientUrl } from "../components/nats";
import { Observability } from "../components/observability";
import { BeamlineService, SERVICE_PORTS } from "../components/service";
import { ValidationJob } from "../components/validation";
import type { StackConfig } from "./config";
import type { ChaosTarget, Role, StackOutputs } from "./outputs";

/** Stack outputs as Pulumi values: the StackOutputs shape with each field an Input. */
type OptionalKey = {
  [K in keyof StackOutputs]-?: Record<never, never> extends Pick<StackOutputs, K> ? K : never;
}[keyof StackOutputs];
/** Every key is present (optional ones may be undefined), so index.ts can export them one by one. */
type OutputKey = keyof StackOutputs;
export type StackOutputValues = {
  // (Not `keyof StackOutputs` directly: a homomorphic `-?` map would strip `undefined` from the values.)
  [K in OutputKey]: pulumi.Input<NonNullable<StackOutputs[K]>> | (K extends OptionalKey ? undefined : never);
};

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

export interface DockerStackOptions {
  config: StackConfig;
  /** Secret NATS password from config; generated (random.RandomPassword) when absent. */
  natsPassword?: pulumi.Output<string>;
  /** Secret tenant → bearer token map from config (`gatewayTenantTokens`); absent: no authentication. */
  tenantTokens?: pulumi.Output<Record<string, string>>;
}

export function buildDockerStack({
  config,
  natsPassword,
  tenantTokens,
}: DockerStackOptions): StackOutputValues {
  const { stack } = config;
  const prefix = objectPrefix(stack);

  const network = new docker.Network("network", {
    name: prefix,
    driver: "bridge",
    labels: labels(stack, "network"),
  });

  const password = pulumi.secret(
    natsPassword ?? new random.RandomPassword("nats-password", { length: 32, special: false }).result,
  );

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
    natsUrl,
    natsUser: config.nats.user,
    natsPassword: password,
    streamReplicas: config.nats.streamReplicas,
  };

  // Services start after NATS is healthy. The router goes first: it creates the intake stream with the
  // configured replicas (the gateway would create it with one), and a healthy gateway then has a router.
  // The router's health is its liveness (/health): it has set the stream up ~0.1 s after it listens when
  // NATS runs, and the gateway container is created ~2 s after the router's start (GATE_TIMING). A new
  // 3-node cluster may still be electing its JetStream leader then; both services wait for it and retry,
  // so there the order is a head start, not a guarantee.
  // Only the containers wait (startAfter): both images are built or pulled while NATS starts.
  const router = new BeamlineService("router", {
    ...common,
    kind: "router",
    image: config.router.image,
    replicas: config.router.replicas,
    limits: config.router.limits,
    faultsEnabled: config.router.faultsEnabled,
    extraEnv: config.router.env,
    startAfter: nats.containers,
  });
  const gateway = new BeamlineService("gateway", {
    ...common,
    kind: "gateway",
    image: config.gateway.image,
    replicas: config.gateway.replicas,
    limits: config.gateway.limits,
    requestTimeoutMs: config.gateway.requestTimeoutMs,
    tenantTokens,
    rateLimitRps: config.gateway.rateLimitRps,
    rateLimitBurst: config.gateway.rateLimitBurst,
    extraEnv: config.gateway.env,
    publish: { bindAddress: config.bindAddress, hostPort: config.gateway.hostPort },
    startAfter: [...nats.containers, ...router.containers],
  });

  const o = config.observability;
  const obs = new Observability("observability", {
    stack,
    namePrefix: prefix,
    network: network.name,
    bindAddress: config.bindAddress,
    scrapeIntervalSeconds: o.scrapeIntervalSeconds,
    alertWebhookUrl: o.alertWebhookUrl,
    gateways: gateway.aliases.map((a) => `${a}:${SERVICE_PORTS.gateway}`),
    routers: router.aliases.map((a) => `${a}:${SERVICE_PORTS.router}`),
    natsMonitors: nats.nodeNames.map((n) => `http://${n}:${NATS_MONITOR_PORT}`),
    gatewayProbes: gateway.aliases.map((a) => `http://${a}:${SERVICE_PORTS.gateway}`),
    prometheus: o.prometheus,
    alertmanager: o.alertmanager,
    blackbox: o.blackbox,
    grafana: o.grafana.enabled ? o.grafana : undefined,
    natsExporter: o.natsExporter.enabled ? o.natsExporter : undefined,
    cadvisor: o.cadvisor.enabled ? o.cadvisor : undefined,
    loki: o.loki.enabled ? o.loki : undefined,
  });

  const validation = config.validation.enabled
    ? new ValidationJob("validation", {
        stack,
        namePrefix: prefix,
        network: network.name,
        image: gateway.imageRef,
        gatewayUrl: `http://gateway:${SERVICE_PORTS.gateway}`,
        tenant: config.validation.tenant,
        token: tenantTokens && pulumi.secret(tenantTokens.apply((t) => t[config.validation.tenant])),
        triggers: [gateway.imageDigest, router.imageDigest, natsUrl],
        dependsOn: [...nats.containers, ...router.containers, ...gateway.containers, ...obs.all],
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
      ips.map((ip) => `http://${ip}:${SERVICE_PORTS.router}/metrics`),
    ),
    chaosTargets: pulumi.all(chaosTargets) as pulumi.Output<StackOutputs["chaosTargets"]>,
    validation: validation
      ? pulumi
          .all([validation.exitCode, validation.logTail])
          .apply(([exitCode, logTail]) => ({ exitCode, logTail }))
      : undefined,
  };
}
