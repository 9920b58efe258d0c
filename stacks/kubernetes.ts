// The `kubernetes` target: the environment on an existing cluster (the ambient kubeconfig/context of the
// `kubernetes` provider), as wiring of the Kubernetes realizers in components/kubernetes/: the same part
// specs the Docker target runs (NATS, gateway, router, Prometheus, Alertmanager, blackbox exporter) as a
// StatefulSet and Deployments, one Service per NATS pod so nats-0..N resolve as on Docker, PDBs, an
// optional gateway HPA, and monitoring either as Prometheus Operator objects
// (PrometheusRule/ServiceMonitor/Probe, when k8sPrometheusOperator is set) or own Deployments. The outputs
// name in-cluster DNS names, or, with k8sHostIsNode (scripts/kube-local.sh), addresses this node reaches.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { meta, res, roleSelector, type KubeContext } from "../components/kubernetes/common";
import { kubernetesMonitoring, type KubernetesMonitoring } from "../components/kubernetes/monitoring";
import { ALERTMANAGER_PORT, PROMETHEUS_PORT } from "../components/observability-config";
import { natsStatefulSet } from "../components/kubernetes/nats";
import { serviceDeployment } from "../components/kubernetes/service";
import { NATS_CLIENT_PORT, NATS_MONITOR_PORT, natsClientUrl, natsConfigString } from "../components/nats";
import { SERVICE_PORTS, serviceSpec, type ServiceKind } from "../components/service";
import { SCRAPE_JOBS } from "../monitoring";
import { GATEWAY_ENV, HTTP_ROUTES, NATS_ENV, renderTenantTokens } from "../services/common/service-contract";
import { serviceArgs, type KubernetesConfig, type LoadedConfig } from "./config";
import { natsPassword } from "./nats-password";
import type { ChaosTarget, Role, StackOutputs, StackOutputValues } from "./outputs";

/** The kubernetes target's config (its k8s* keys in `config.kubernetes`) and the secrets. */
export interface KubernetesStackOptions extends LoadedConfig<KubernetesConfig> {
  /** Explicit provider (tests, or a kubeconfig from another stack); default: the ambient one. */
  provider?: k8s.Provider;
}

export function buildKubernetesStack(opts: KubernetesStackOptions): StackOutputValues {
  const { config } = opts;
  const settings = config.kubernetes;
  const { stack } = config;
  const ns = settings.namespace;
  const namespace = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "proving-ground" } } },
    { provider: opts.provider },
  );
  const ctx: KubeContext = {
    stack,
    namespace: ns,
    namespaceName: namespace.metadata.name,
    provider: opts.provider,
  };

  // One Secret for the credentials: the services' NATS_PASSWORD, the servers' copies quoted as
  // nats-server's config parser needs them (natsConfigString; natsSpec's secret keys), and the gateway's
  // tenant tokens (gatewayTenantTokens) when configured.
  const password = natsPassword(opts.natsPassword);
  const secret = new k8s.core.v1.Secret(
    "nats-credentials",
    {
      metadata: meta(ctx, "nats-credentials", "nats"),
      type: "Opaque",
      stringData: {
        [NATS_ENV.user.name]: config.nats.user,
        [NATS_ENV.password.name]: password,
        NATS_SERVER_USER: natsConfigString(config.nats.user),
        NATS_SERVER_PASSWORD: password.apply(natsConfigString),
        ...(opts.tenantTokens
          ? { [GATEWAY_ENV.tenantTokens.name]: pulumi.secret(opts.tenantTokens.apply(renderTenantTokens)) }
          : {}),
      },
    },
    { ...res(ctx), additionalSecretOutputs: ["stringData", "data"] },
  );

  const nats = natsStatefulSet(ctx, {
    image: config.nats.image,
    replicas: config.nats.replicas,
    user: config.nats.user,
    password,
    limits: config.nats.limits,
    secretName: secret.metadata.name,
    jetstreamStorage: settings.jetstreamStorage,
    storageClass: settings.storageClass,
  });

  // Gateway and router: Deployments with probes, limits, PDBs and Services; the gateway's HPA optional.
  const natsUrl = natsClientUrl(config.nats.replicas);
  const service = (kind: ServiceKind) =>
    serviceDeployment(
      ctx,
      serviceSpec({ ...serviceArgs(opts, kind), nats: { url: natsUrl, user: config.nats.user, password } }),
      {
        replicas: config[kind].replicas,
        hpa: kind === "gateway" ? settings.hpa : undefined,
        serviceType: kind === "gateway" ? settings.gatewayServiceType : "ClusterIP",
        job: SCRAPE_JOBS[kind],
        secretName: secret.metadata.name,
        dependsOn: nats.statefulSet,
      },
    );
  const router = service("router");
  const gateway = service("gateway");

  const o = config.observability;
  const monitoring = kubernetesMonitoring(ctx, {
    natsNodes: nats.nodes,
    prometheusImage: o.prometheus.image,
    alertmanagerImage: o.alertmanager.image,
    blackboxImage: o.blackbox.image,
    alertWebhookUrl: o.alertWebhookUrl,
    scrapeIntervalSeconds: o.scrapeIntervalSeconds,
    prometheusOperator: settings.prometheusOperator,
  });

  const dns = (name: string) => `${name}.${ns}.svc`;
  // The kubeconfig the provider was given (a path, not inline YAML) travels with the chaos targets, so the
  // chaos driver reaches the same cluster without an ambient KUBECONFIG.
  const kubeconfig = new pulumi.Config("kubernetes").get("kubeconfig");
  const kubeconfigPath = kubeconfig && !kubeconfig.includes("\n") ? kubeconfig : undefined;
  const chaosTargets: Partial<Record<Role, ChaosTarget>> = {};
  for (const role of ["nats", "router", "gateway", ...monitoring.roles] as const) {
    chaosTargets[role] = {
      driver: "kubernetes",
      namespace: ns,
      selector: roleSelector(stack, role),
      ...(kubeconfigPath ? { kubeconfig: kubeconfigPath } : {}),
    };
  }
  const urls = settings.hostIsNode
    ? hostUrls(gateway.service, nats.nodeServices, router.service, monitoring)
    : clusterUrls(settings.gatewayServiceType, gateway.service, nats.nodes, dns, monitoring);

  return {
    target: "kubernetes",
    stack,
    ...urls,
    natsUrl,
    natsUser: config.nats.user,
    natsPassword: password,
    tenantTokens: opts.tenantTokens && pulumi.secret(opts.tenantTokens),
    grafanaUrl: undefined,
    // Wait for the workloads so a consumer of the outputs never sees targets that do not exist yet.
    chaosTargets: pulumi
      .all([
        nats.statefulSet.metadata.name,
        router.deployment.metadata.name,
        gateway.deployment.metadata.name,
      ])
      .apply(() => chaosTargets as StackOutputs["chaosTargets"]),
    validation: undefined,
    // The link proxy is a docker-target part (linkProxyEnabled is refused elsewhere).
    linkProxy: undefined,
  };
}

type EndpointOutputs = Pick<
  StackOutputValues,
  | "gatewayUrl"
  | "natsHostUrls"
  | "natsMonitorUrls"
  | "prometheusUrl"
  | "alertmanagerUrl"
  | "routerMetricsUrls"
>;

/** In-cluster URLs (DNS names): run validation/chaos in the cluster, or `kubectl port-forward` (docs/cloud.md). */
function clusterUrls(
  serviceType: KubernetesConfig["kubernetes"]["gatewayServiceType"],
  gateway: k8s.core.v1.Service,
  natsNodes: string[],
  dns: (name: string) => string,
  monitoring: KubernetesMonitoring,
): EndpointOutputs {
  const inCluster = `http://${dns("gateway")}:${SERVICE_PORTS.gateway}`;
  const gatewayUrl =
    serviceType === "LoadBalancer"
      ? gateway.status.apply((s) => {
          const ing = s?.loadBalancer?.ingress?.[0];
          const host = ing?.hostname ?? ing?.ip;
          return host ? `http://${host}:${SERVICE_PORTS.gateway}` : inCluster;
        })
      : inCluster;
  return {
    gatewayUrl,
    natsHostUrls: natsNodes.map((n) => `nats://${dns(n)}:${NATS_CLIENT_PORT}`),
    natsMonitorUrls: natsNodes.map((n) => `http://${dns(n)}:${NATS_MONITOR_PORT}`),
    prometheusUrl: monitoring.prometheusUrl,
    alertmanagerUrl: monitoring.alertmanagerUrl,
    routerMetricsUrls: [`http://${dns("router")}:${SERVICE_PORTS.router}${HTTP_ROUTES.metrics}`],
  };
}

/**
 * URLs for a machine that is a node of the cluster (k8sHostIsNode): Services by ClusterIP, which
 * kube-proxy's rules route on every node, and the gateway by its node port on 127.0.0.1.
 */
function hostUrls(
  gateway: k8s.core.v1.Service,
  natsNodes: k8s.core.v1.Service[],
  router: k8s.core.v1.Service,
  monitoring: KubernetesMonitoring,
): EndpointOutputs {
  const at = (svc: k8s.core.v1.Service, scheme: string, port: number, path = "") =>
    pulumi.interpolate`${scheme}://${svc.spec.clusterIP}:${port}${path}`;
  return {
    gatewayUrl: gateway.spec.ports.apply((ports) => {
      const nodePort = ports[0]?.nodePort;
      if (!nodePort) throw new Error("k8sHostIsNode: the gateway Service has no node port");
      return `http://127.0.0.1:${nodePort}`;
    }),
    natsHostUrls: pulumi.all(natsNodes.map((s) => at(s, "nats", NATS_CLIENT_PORT))),
    natsMonitorUrls: pulumi.all(natsNodes.map((s) => at(s, "http", NATS_MONITOR_PORT))),
    prometheusUrl: monitoring.services && at(monitoring.services.prometheus, "http", PROMETHEUS_PORT),
    alertmanagerUrl: monitoring.services && at(monitoring.services.alertmanager, "http", ALERTMANAGER_PORT),
    routerMetricsUrls: pulumi.all([at(router, "http", SERVICE_PORTS.router, HTTP_ROUTES.metrics)]),
  };
}
