// The `kubernetes` target: the environment on an existing cluster (the ambient kubeconfig/context of the
// `kubernetes` provider). The Docker components cannot run here, so this stack reuses their pure parts
// instead of re-implementing them: the NATS server config (renderNatsConfig), node names and client URL
// (nats-0..N, the same names as on Docker thanks to one Service per NATS pod), the services' environment
// (serviceEnv) and ports, the scrape targets and blackbox modules, and monitoring/'s generated rules,
// prometheus.yml and alertmanager.yml. Monitoring is either Prometheus Operator objects
// (PrometheusRule/ServiceMonitor/Probe, when k8sPrometheusOperator is set) or a plain Prometheus
// Deployment with ConfigMaps.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as random from "@pulumi/random";
import { parse, stringify } from "yaml";
import {
  NATS_CLIENT_PORT,
  NATS_CLUSTER_PORT,
  NATS_CONFIG_PATH,
  NATS_MONITOR_PORT,
  NATS_STORE_DIR,
  natsClientUrl,
  natsNodeNames,
  renderNatsConfig,
  natsConfigString,
} from "../components/nats";
import {
  ALERTMANAGER_PORT,
  BLACKBOX_PORT,
  PROMETHEUS_PORT,
  renderBlackboxConfig,
  scrapeTargets,
} from "../components/observability-config";
import { SERVICE_PORTS, serviceEnv, type ServiceKind } from "../components/service";
import {
  SCRAPE_JOBS,
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  renderRuleFiles,
} from "../monitoring";
import { parseKubernetesSettings, type KubernetesSettings } from "./cloud-config";
import { parseMemory, renderTenantTokens, type Limits, type LoadedConfig, type StackConfig } from "./config";
import type { StackOutputValues } from "./docker";
import type { ChaosTarget, Role, StackOutputs } from "./outputs";

/** Reads the kubernetes-only config keys from the Pulumi runtime (see stacks/cloud-config.ts). */
export function readKubernetesSettings(config: StackConfig): KubernetesSettings {
  return parseKubernetesSettings(pulumi.runtime.allConfig(), config);
}

export interface KubernetesStackOptions extends LoadedConfig {
  /** Default: read from the Pulumi config. */
  settings?: KubernetesSettings;
  /** Explicit provider (tests, or a kubeconfig from another stack); default: the ambient one. */
  provider?: k8s.Provider;
}

/** Labels every object carries; the chaos selector is the instance + name pair. */
export function roleLabels(stack: string, role: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": role,
    "app.kubernetes.io/instance": stack,
    "app.kubernetes.io/part-of": "proving-ground",
  };
}

export function roleSelector(stack: string, role: string): string {
  return `app.kubernetes.io/instance=${stack},app.kubernetes.io/name=${role}`;
}

/** Container resources: limits from config; requests = half the CPU and all the memory (no OOM overcommit). */
export function resources(l: Limits) {
  const cpuMilli = Math.max(1, Math.round(l.cpus * 1000));
  return {
    requests: { cpu: `${Math.max(1, Math.round(cpuMilli / 2))}m`, memory: `${l.memoryMb}Mi` },
    limits: { cpu: `${cpuMilli}m`, memory: `${l.memoryMb}Mi` },
  };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const SECURE = { allowPrivilegeEscalation: false, privileged: false };
const OBS_LIMITS: Limits = { cpus: 0.5, memory: "512Mi", memoryBytes: 512 * 1024 ** 2, memoryMb: 512 };

/**
 * Rewrites the gateway and router jobs of a rendered prometheus.yml from static targets to Kubernetes
 * endpoint discovery, so every pod of a Deployment is scraped (a Service address would hit a random
 * pod per scrape). Job names, intervals, rules and alerting stay exactly as monitoring/ rendered them.
 */
export function withEndpointDiscovery(
  prometheusYml: string,
  namespace: string,
  jobs: Record<string, string>,
): string {
  const doc = parse(prometheusYml) as { scrape_configs?: Record<string, unknown>[] };
  for (const sc of doc.scrape_configs ?? []) {
    const service = jobs[String(sc.job_name)];
    if (!service) continue;
    delete sc.static_configs;
    sc.kubernetes_sd_configs = [{ role: "endpoints", namespaces: { names: [namespace] } }];
    sc.relabel_configs = [
      { source_labels: ["__meta_kubernetes_service_name"], regex: service, action: "keep" },
      { source_labels: ["__meta_kubernetes_endpoint_port_name"], regex: "http|metrics", action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    ];
  }
  return stringify(doc, { lineWidth: 0 });
}

/**
 * nats.conf shared by every NATS pod (one ConfigMap): the components' renderer with the server name taken
 * from $POD_NAME, which nats-server substitutes from the environment, and JetStream capped at 80% of the
 * PVC so it hits its own limit before the filesystem is full.
 */
export function renderKubernetesNatsConfig(nodes: string[], stack: string, jetstreamStorage: string): string {
  return renderNatsConfig({
    serverName: "$POD_NAME",
    nodes,
    clusterName: `pg-${stack}-nats`,
    // In bytes: nats-server reads an "M" suffix as 10^6, not MiB.
    maxFileStore: String(Math.floor((parseMemory(jetstreamStorage) ?? 0) * 0.8)),
  });
}

/** PrometheusRule specs (groups) from monitoring/'s rule files, one object per file. */
export function prometheusRuleSpecs(): { name: string; groups: unknown[] }[] {
  return renderRuleFiles().map((f) => ({
    name: f.name
      .replace(/\.ya?ml$/, "")
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, ""),
    groups: ((parse(f.content) as { groups?: unknown[] } | null)?.groups ?? []) as unknown[],
  }));
}

export function buildKubernetesStack(opts: KubernetesStackOptions): StackOutputValues {
  const { config } = opts;
  const settings = opts.settings ?? readKubernetesSettings(config);
  const { stack } = config;
  const ns = settings.namespace;
  const res = (parent?: pulumi.Resource): pulumi.CustomResourceOptions => ({
    provider: opts.provider,
    ...(parent ? { dependsOn: [parent] } : {}),
  });

  const namespace = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "proving-ground" } } },
    res(),
  );
  const meta = (name: string, role: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: namespace.metadata.name,
    labels: { ...roleLabels(stack, role), ...extra },
  });

  const password = pulumi.secret(
    opts.natsPassword ?? new random.RandomPassword("nats-password", { length: 32, special: false }).result,
  );
  const secret = new k8s.core.v1.Secret(
    "nats-credentials",
    {
      metadata: meta("nats-credentials", "nats"),
      type: "Opaque",
      stringData: {
        NATS_USER: config.nats.user,
        NATS_PASSWORD: password,
        // The servers' copies, quoted as nats-server's config parser needs them (natsConfigString).
        NATS_SERVER_USER: natsConfigString(config.nats.user),
        NATS_SERVER_PASSWORD: password.apply(natsConfigString),
        // The gateway's tenant tokens (gatewayTenantTokens) ride in the same Secret when configured.
        ...(opts.tenantTokens
          ? { GATEWAY_TENANT_TOKENS: pulumi.secret(opts.tenantTokens.apply(renderTenantTokens)) }
          : {}),
      },
    },
    { ...res(), additionalSecretOutputs: ["stringData", "data"] },
  );
  const secretEnv = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: secret.metadata.name, key } },
  });

  // ---- NATS: StatefulSet + one Service per pod so nats-0..N resolve as on the Docker target.
  const nodes = natsNodeNames(config.nats.replicas);
  const natsConf = renderKubernetesNatsConfig(nodes, stack, settings.jetstreamStorage);
  const natsConfig = new k8s.core.v1.ConfigMap(
    "nats-config",
    { metadata: meta("nats-config", "nats"), data: { "nats.conf": natsConf } },
    res(),
  );
  const natsLabels = roleLabels(stack, "nats");
  const natsPorts = [
    { name: "client", containerPort: NATS_CLIENT_PORT },
    { name: "cluster", containerPort: NATS_CLUSTER_PORT },
    { name: "monitor", containerPort: NATS_MONITOR_PORT },
  ];
  const natsHeadless = new k8s.core.v1.Service(
    "nats-headless",
    {
      metadata: meta("nats-headless", "nats"),
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: natsLabels,
        ports: natsPorts.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name })),
      },
    },
    res(),
  );
  const healthz = { path: "/healthz?js-enabled-only=true", port: "monitor" };
  const nats = new k8s.apps.v1.StatefulSet(
    "nats",
    {
      metadata: meta("nats", "nats"),
      spec: {
        serviceName: natsHeadless.metadata.name,
        replicas: config.nats.replicas,
        // All pods start together: a JetStream cluster needs its peers to form.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: natsLabels },
        template: {
          metadata: {
            labels: natsLabels,
            // A config change rolls the pods (the ConfigMap alone would not).
            annotations: { "proving-ground/config-sha256": sha256(natsConf) },
          },
          spec: {
            affinity: {
              podAntiAffinity: {
                // Preferred, not required: spread over nodes when possible, still schedulable on a
                // one-node dev cluster.
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: natsLabels },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: "nats",
                image: config.nats.image,
                command: ["nats-server", "--config", NATS_CONFIG_PATH],
                ports: natsPorts,
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  secretEnv("NATS_USER", "NATS_SERVER_USER"),
                  secretEnv("NATS_PASSWORD", "NATS_SERVER_PASSWORD"),
                ],
                resources: resources(config.nats.limits),
                securityContext: SECURE,
                startupProbe: { httpGet: healthz, periodSeconds: 2, failureThreshold: 60 },
                livenessProbe: { httpGet: healthz, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: healthz, periodSeconds: 5 },
                volumeMounts: [
                  { name: "config", mountPath: "/etc/nats" },
                  { name: "jetstream", mountPath: NATS_STORE_DIR },
                ],
              },
            ],
            volumes: [{ name: "config", configMap: { name: natsConfig.metadata.name } }],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "jetstream", labels: natsLabels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              ...(settings.storageClass ? { storageClassName: settings.storageClass } : {}),
              resources: { requests: { storage: settings.jetstreamStorage } },
            },
          },
        ],
      },
    },
    res(),
  );
  for (const node of nodes) {
    new k8s.core.v1.Service(
      `nats-node-${node}`,
      {
        metadata: meta(node, "nats"),
        spec: {
          publishNotReadyAddresses: true,
          selector: { ...natsLabels, "statefulset.kubernetes.io/pod-name": node },
          ports: natsPorts.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name })),
        },
      },
      res(),
    );
  }
  const pdb = (role: string) =>
    new k8s.policy.v1.PodDisruptionBudget(
      `${role}-pdb`,
      // One at a time: keeps NATS quorum (2 of 3) and at least one replica of each service serving.
      {
        metadata: meta(role, role),
        spec: { maxUnavailable: 1, selector: { matchLabels: roleLabels(stack, role) } },
      },
      res(),
    );
  pdb("nats");

  // ---- gateway and router: Deployments with probes, limits, PDBs, Services; optional HPA.
  const natsUrl = natsClientUrl(config.nats.replicas);
  const service = (kind: ServiceKind) => {
    const s = config[kind];
    const labels = roleLabels(stack, kind);
    const port = SERVICE_PORTS[kind];
    const portName = kind === "gateway" ? "http" : "metrics";
    const env = serviceEnv({
      kind,
      natsUrl,
      natsUser: config.nats.user,
      requestTimeoutMs: config.gateway.requestTimeoutMs,
      rateLimitRps: config.gateway.rateLimitRps,
      rateLimitBurst: config.gateway.rateLimitBurst,
      faultsEnabled: config.router.faultsEnabled,
      streamReplicas: config.nats.streamReplicas,
      extra: s.env,
    }).map((e) => ({ name: e.slice(0, e.indexOf("=")), value: e.slice(e.indexOf("=") + 1) }));
    const hpa = kind === "gateway" ? settings.hpa : undefined;
    const image = s.image.kind === "image" ? s.image.name : "";
    const deployment = new k8s.apps.v1.Deployment(
      kind,
      {
        metadata: meta(kind, kind),
        spec: {
          // With an HPA the autoscaler owns the count; declaring it here would fight it on every `up`.
          ...(hpa ? {} : { replicas: s.replicas }),
          selector: { matchLabels: labels },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: kind,
                  image,
                  ports: [{ name: portName, containerPort: port }],
                  env: [
                    secretEnv("NATS_PASSWORD", "NATS_PASSWORD"),
                    ...(kind === "gateway" && opts.tenantTokens
                      ? [secretEnv("GATEWAY_TENANT_TOKENS", "GATEWAY_TENANT_TOKENS")]
                      : []),
                    ...env,
                  ],
                  resources: resources(s.limits),
                  securityContext: SECURE,
                  livenessProbe: {
                    httpGet: { path: "/health", port: portName },
                    periodSeconds: 10,
                    failureThreshold: 3,
                  },
                  readinessProbe: {
                    httpGet: { path: "/ready", port: portName },
                    periodSeconds: 5,
                    failureThreshold: 2,
                  },
                },
              ],
            },
          },
        },
      },
      res(nats),
    );
    const svc = new k8s.core.v1.Service(
      `${kind}-service`,
      {
        // The job label names the Prometheus job (ServiceMonitor jobLabel) as monitoring/'s rules expect.
        metadata: meta(kind, kind, {
          "proving-ground/job": kind === "gateway" ? SCRAPE_JOBS.gateway : SCRAPE_JOBS.router,
        }),
        spec: {
          type: kind === "gateway" ? settings.gatewayServiceType : "ClusterIP",
          selector: labels,
          ports: [{ name: portName, port, targetPort: portName }],
        },
      },
      res(),
    );
    pdb(kind);
    if (hpa) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${kind}-hpa`,
        {
          metadata: meta(kind, kind),
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
            minReplicas: s.replicas,
            maxReplicas: hpa.maxReplicas,
            metrics: [
              {
                type: "Resource",
                resource: {
                  name: "cpu",
                  target: { type: "Utilization", averageUtilization: hpa.cpuPercent },
                },
              },
            ],
          },
        },
        res(),
      );
    }
    return { deployment, svc };
  };
  const router = service("router");
  const gateway = service("gateway");

  // ---- monitoring, always from monitoring/'s generated rules.
  const dns = (name: string) => `${name}.${ns}.svc`;
  const o = config.observability;
  const chaosTargets: Partial<Record<Role, ChaosTarget>> = {};
  for (const role of ["nats", "router", "gateway"] as const) {
    chaosTargets[role] = { driver: "kubernetes", namespace: ns, selector: roleSelector(stack, role) };
  }
  const obsDeployment = (
    role: "prometheus" | "alertmanager" | "blackbox",
    spec: {
      image: string;
      port: number;
      args: string[];
      configMap: k8s.core.v1.ConfigMap;
      mountPath: string;
      health: string;
      ready: string;
      serviceAccountName?: pulumi.Input<string>;
      extraVolumes?: { name: string; configMap: { name: pulumi.Input<string> }; mountPath: string }[];
    },
  ) => {
    const labels = roleLabels(stack, role);
    const volumes = [
      { name: "config", configMap: { name: spec.configMap.metadata.name }, mountPath: spec.mountPath },
      ...(spec.extraVolumes ?? []),
    ];
    new k8s.apps.v1.Deployment(
      role,
      {
        metadata: meta(role, role),
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
              containers: [
                {
                  name: role,
                  image: spec.image,
                  args: spec.args,
                  ports: [{ name: "http", containerPort: spec.port }],
                  resources: resources(OBS_LIMITS),
                  securityContext: SECURE,
                  livenessProbe: { httpGet: { path: spec.health, port: "http" }, periodSeconds: 10 },
                  readinessProbe: { httpGet: { path: spec.ready, port: "http" }, periodSeconds: 5 },
                  volumeMounts: [
                    ...volumes.map((v) => ({ name: v.name, mountPath: v.mountPath })),
                    ...(role === "prometheus" ? [{ name: "data", mountPath: "/prometheus" }] : []),
                  ],
                },
              ],
              volumes: [
                ...volumes.map((v) => ({ name: v.name, configMap: v.configMap })),
                ...(role === "prometheus" ? [{ name: "data", emptyDir: { sizeLimit: "2Gi" } }] : []),
              ],
            },
          },
        },
      },
      res(),
    );
    new k8s.core.v1.Service(
      `${role}-service`,
      {
        metadata: meta(role, role),
        spec: { selector: labels, ports: [{ name: "http", port: spec.port, targetPort: "http" }] },
      },
      res(),
    );
    chaosTargets[role] = { driver: "kubernetes", namespace: ns, selector: roleSelector(stack, role) };
  };

  // The blackbox exporter probes NATS and the gateway in both modes (the operator's Probe objects
  // point at it).
  const blackboxConfig = new k8s.core.v1.ConfigMap(
    "blackbox-config",
    { metadata: meta("blackbox-config", "blackbox"), data: { "config.yml": renderBlackboxConfig() } },
    res(),
  );
  obsDeployment("blackbox", {
    image: o.blackbox.image,
    port: BLACKBOX_PORT,
    args: ["--config.file=/etc/blackbox_exporter/config.yml", `--web.listen-address=:${BLACKBOX_PORT}`],
    configMap: blackboxConfig,
    mountPath: "/etc/blackbox_exporter",
    health: "/-/healthy",
    ready: "/-/healthy",
  });
  const targets = scrapeTargets({
    gateways: [`${dns("gateway")}:${SERVICE_PORTS.gateway}`],
    routers: [`${dns("router")}:${SERVICE_PORTS.router}`],
    natsMonitors: nodes.map((n) => `http://${dns(n)}:${NATS_MONITOR_PORT}`),
    gatewayProbes: [`http://${dns("gateway")}:${SERVICE_PORTS.gateway}`],
    alertmanager: `${dns("alertmanager")}:${ALERTMANAGER_PORT}`,
    blackbox: `${dns("blackbox")}:${BLACKBOX_PORT}`,
  });

  let prometheusUrl: string | undefined;
  let alertmanagerUrl: string | undefined;
  if (settings.prometheusOperator) {
    const crd = (kind: string, name: string, role: string, spec: unknown) =>
      new k8s.apiextensions.CustomResource(
        `${kind.toLowerCase()}-${name}`,
        { apiVersion: "monitoring.coreos.com/v1", kind, metadata: meta(name, role), spec },
        res(),
      );
    for (const r of prometheusRuleSpecs()) crd("PrometheusRule", r.name, "prometheus", { groups: r.groups });
    for (const kind of ["gateway", "router"] as const) {
      crd("ServiceMonitor", kind, kind, {
        jobLabel: "proving-ground/job",
        selector: { matchLabels: roleLabels(stack, kind) },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [
          {
            port: kind === "gateway" ? "http" : "metrics",
            path: "/metrics",
            interval: `${o.scrapeIntervalSeconds}s`,
          },
        ],
      });
    }
    for (const t of targets.filter((x) => x.probe)) {
      crd("Probe", t.job, "blackbox", {
        jobName: t.job,
        interval: `${o.scrapeIntervalSeconds}s`,
        module: t.probe!.module,
        prober: { url: t.probe!.exporter },
        targets: { staticConfig: { static: t.targets } },
      });
    }
  } else {
    const promYml = withEndpointDiscovery(
      renderPrometheusConfig({
        scrapeIntervalSeconds: o.scrapeIntervalSeconds,
        evaluationIntervalSeconds: o.scrapeIntervalSeconds,
        targets,
        alertmanagers: [`${dns("alertmanager")}:${ALERTMANAGER_PORT}`],
        ruleFiles: ["/etc/prometheus/rules/*.yml"],
        externalLabels: { stack },
      }),
      ns,
      { [SCRAPE_JOBS.gateway]: "gateway", [SCRAPE_JOBS.router]: "router" },
    );
    const promConfig = new k8s.core.v1.ConfigMap(
      "prometheus-config",
      { metadata: meta("prometheus-config", "prometheus"), data: { "prometheus.yml": promYml } },
      res(),
    );
    const rules = new k8s.core.v1.ConfigMap(
      "prometheus-rules",
      {
        metadata: meta("prometheus-rules", "prometheus"),
        data: Object.fromEntries(renderRuleFiles().map((f) => [f.name, f.content])),
      },
      res(),
    );
    // Endpoint discovery needs read access to the namespace's endpoints, services and pods.
    const sa = new k8s.core.v1.ServiceAccount(
      "prometheus-sa",
      { metadata: meta("prometheus", "prometheus") },
      res(),
    );
    const role = new k8s.rbac.v1.Role(
      "prometheus-role",
      {
        metadata: meta("prometheus", "prometheus"),
        rules: [
          { apiGroups: [""], resources: ["endpoints", "services", "pods"], verbs: ["get", "list", "watch"] },
        ],
      },
      res(),
    );
    new k8s.rbac.v1.RoleBinding(
      "prometheus-rolebinding",
      {
        metadata: meta("prometheus", "prometheus"),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ns }],
      },
      res(),
    );
    obsDeployment("prometheus", {
      image: o.prometheus.image,
      port: PROMETHEUS_PORT,
      args: [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        `--web.listen-address=:${PROMETHEUS_PORT}`,
        "--web.enable-lifecycle",
      ],
      configMap: promConfig,
      mountPath: "/etc/prometheus",
      health: "/-/healthy",
      ready: "/-/ready",
      serviceAccountName: sa.metadata.name,
      extraVolumes: [
        { name: "rules", configMap: { name: rules.metadata.name }, mountPath: "/etc/prometheus/rules" },
      ],
    });
    const amConfig = new k8s.core.v1.ConfigMap(
      "alertmanager-config",
      {
        metadata: meta("alertmanager-config", "alertmanager"),
        data: { "alertmanager.yml": renderAlertmanagerConfig({ webhookUrl: o.alertWebhookUrl }) },
      },
      res(),
    );
    obsDeployment("alertmanager", {
      image: o.alertmanager.image,
      port: ALERTMANAGER_PORT,
      args: [
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path=/tmp/alertmanager",
        `--web.listen-address=:${ALERTMANAGER_PORT}`,
        "--cluster.listen-address=",
      ],
      configMap: amConfig,
      mountPath: "/etc/alertmanager",
      health: "/-/healthy",
      ready: "/-/ready",
    });
    prometheusUrl = `http://${dns("prometheus")}:${PROMETHEUS_PORT}`;
    alertmanagerUrl = `http://${dns("alertmanager")}:${ALERTMANAGER_PORT}`;
  }

  // In-cluster URLs: run validation/chaos in the cluster, or `kubectl port-forward` (docs/cloud.md).
  const gatewayUrl =
    settings.gatewayServiceType === "LoadBalancer"
      ? gateway.svc.status.apply((s) => {
          const ing = s?.loadBalancer?.ingress?.[0];
          const host = ing?.hostname ?? ing?.ip;
          return host
            ? `http://${host}:${SERVICE_PORTS.gateway}`
            : `http://${dns("gateway")}:${SERVICE_PORTS.gateway}`;
        })
      : `http://${dns("gateway")}:${SERVICE_PORTS.gateway}`;

  return {
    target: "kubernetes",
    stack,
    gatewayUrl,
    natsUrl,
    natsHostUrls: nodes.map((n) => `nats://${dns(n)}:${NATS_CLIENT_PORT}`),
    natsUser: config.nats.user,
    natsPassword: password,
    tenantTokens: opts.tenantTokens && pulumi.secret(opts.tenantTokens),
    natsMonitorUrls: nodes.map((n) => `http://${dns(n)}:${NATS_MONITOR_PORT}`),
    prometheusUrl,
    alertmanagerUrl,
    grafanaUrl: undefined,
    routerMetricsUrls: [`http://${dns("router")}:${SERVICE_PORTS.router}/metrics`],
    // Wait for the workloads so a consumer of the outputs never sees targets that do not exist yet.
    chaosTargets: pulumi
      .all([nats.metadata.name, router.deployment.metadata.name, gateway.deployment.metadata.name])
      .apply(() => chaosTargets as StackOutputs["chaosTargets"]),
    validation: undefined,
  };
}
