// Monitoring on Kubernetes, always from monitoring/'s generated rules: the blackbox exporter, and either
// Prometheus Operator objects (PrometheusRule per rule file, ServiceMonitors, Probes) or Prometheus and
// Alertmanager Deployments. Their flags and files are the very part specs the Docker target runs
// (components/observability-config.ts); only prometheus.yml's service jobs switch to endpoint discovery.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { SCRAPE_JOBS, renderRuleFiles } from "../../monitoring";
import { HTTP_ROUTES } from "../../services/common/service-contract";
import {
  ALERTMANAGER_PORT,
  alertmanagerSpec,
  BLACKBOX_PORT,
  blackboxSpec,
  PROMETHEUS_PORT,
  prometheusSpec,
  scrapeTargets,
} from "../observability-config";
import { NATS_MONITOR_PORT } from "../nats";
import { SERVICE_PORTS } from "../service";
import type { PartSpec } from "../spec";
import type { Limits } from "../types";
import {
  configVolumes,
  containerBase,
  containerPorts,
  meta,
  probePaths,
  res,
  roleLabels,
  type KubeContext,
} from "./common";

const OBS_LIMITS: Limits = { cpus: 0.5, memory: "512Mi", memoryBytes: 512 * 1024 ** 2, memoryMb: 512 };

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

/**
 * One monitoring part as a single-replica Deployment and its Service: the spec's ConfigMaps mounted at
 * their directories, scratch volumes as size-limited emptyDirs, probes on the "http" port. Returns the
 * Service.
 */
export function monitoringDeployment(
  ctx: KubeContext,
  spec: PartSpec,
  opts: { serviceAccountName?: pulumi.Input<string> } = {},
): k8s.core.v1.Service {
  const role = spec.role;
  const labels = roleLabels(ctx.stack, role);
  const config = configVolumes(ctx, spec);
  const scratch = spec.volumes.flatMap((v) => (v.kind === "scratch" ? [v] : []));
  const [port] = containerPorts(spec);
  const probes = probePaths(spec);
  new k8s.apps.v1.Deployment(
    role,
    {
      metadata: meta(ctx, role, role),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            ...(opts.serviceAccountName ? { serviceAccountName: opts.serviceAccountName } : {}),
            containers: [
              {
                ...containerBase(spec, OBS_LIMITS),
                args: spec.args,
                livenessProbe: { httpGet: probes.live, periodSeconds: 10 },
                readinessProbe: { httpGet: probes.ready, periodSeconds: 5 },
                volumeMounts: [
                  ...config.map((v) => ({ name: v.name, mountPath: v.mountPath })),
                  ...scratch.map((v) => ({ name: v.name, mountPath: v.path })),
                ],
              },
            ],
            volumes: [
              ...config.map((v) => ({ name: v.name, configMap: v.configMap })),
              ...scratch.map((v) => ({ name: v.name, emptyDir: { sizeLimit: v.sizeLimit } })),
            ],
          },
        },
      },
    },
    res(ctx),
  );
  return new k8s.core.v1.Service(
    `${role}-service`,
    {
      metadata: meta(ctx, role, role),
      spec: {
        selector: labels,
        ports: [{ name: port.name, port: port.containerPort, targetPort: port.name }],
      },
    },
    res(ctx),
  );
}

/** A ServiceAccount that may read the namespace's endpoints, services and pods (endpoint discovery). */
function discoveryAccount(ctx: KubeContext): pulumi.Output<string> {
  const sa = new k8s.core.v1.ServiceAccount(
    "prometheus-sa",
    { metadata: meta(ctx, "prometheus", "prometheus") },
    res(ctx),
  );
  const role = new k8s.rbac.v1.Role(
    "prometheus-role",
    {
      metadata: meta(ctx, "prometheus", "prometheus"),
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods"], verbs: ["get", "list", "watch"] },
      ],
    },
    res(ctx),
  );
  new k8s.rbac.v1.RoleBinding(
    "prometheus-rolebinding",
    {
      metadata: meta(ctx, "prometheus", "prometheus"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: ctx.namespace }],
    },
    res(ctx),
  );
  return sa.metadata.name;
}

export interface KubernetesMonitoringArgs {
  /** NATS node names (each a Service in the namespace). */
  natsNodes: string[];
  /** Prometheus image, pinned (unused with `prometheusOperator`). */
  prometheusImage: string;
  /** Alertmanager image, pinned (unused with `prometheusOperator`). */
  alertmanagerImage: string;
  /** Blackbox exporter image, pinned: probes NATS and the gateway in both modes. */
  blackboxImage: string;
  /** Alertmanager's webhook receiver URL. */
  alertWebhookUrl: string;
  /** Scrape and rule evaluation interval in seconds. */
  scrapeIntervalSeconds: number;
  /** Prometheus Operator objects instead of own Prometheus and Alertmanager Deployments. */
  prometheusOperator: boolean;
}

export interface KubernetesMonitoring {
  /** Roles that run as workloads here (chaos targets). */
  roles: ("prometheus" | "alertmanager" | "blackbox")[];
  /** In-cluster URLs; undefined with the operator (its Prometheus is not this stack's). */
  prometheusUrl?: string;
  /** In-cluster Alertmanager URL; undefined with the operator. */
  alertmanagerUrl?: string;
  /** The Prometheus and Alertmanager Services (for ClusterIP URLs); undefined with the operator. */
  services?: { prometheus: k8s.core.v1.Service; alertmanager: k8s.core.v1.Service };
}

export function kubernetesMonitoring(ctx: KubeContext, a: KubernetesMonitoringArgs): KubernetesMonitoring {
  const dns = (name: string) => `${name}.${ctx.namespace}.svc`;
  // The blackbox exporter probes NATS and the gateway in both modes (the operator's Probe objects
  // point at it).
  monitoringDeployment(ctx, blackboxSpec({ image: a.blackboxImage }));
  const targets = scrapeTargets({
    gateways: [`${dns("gateway")}:${SERVICE_PORTS.gateway}`],
    routers: [`${dns("router")}:${SERVICE_PORTS.router}`],
    natsMonitors: a.natsNodes.map((n) => `http://${dns(n)}:${NATS_MONITOR_PORT}`),
    gatewayProbes: [`http://${dns("gateway")}:${SERVICE_PORTS.gateway}`],
    alertmanager: `${dns("alertmanager")}:${ALERTMANAGER_PORT}`,
    blackbox: `${dns("blackbox")}:${BLACKBOX_PORT}`,
  });
  const interval = `${a.scrapeIntervalSeconds}s`;

  if (a.prometheusOperator) {
    const crd = (kind: string, name: string, role: string, spec: unknown) =>
      new k8s.apiextensions.CustomResource(
        `${kind.toLowerCase()}-${name}`,
        { apiVersion: "monitoring.coreos.com/v1", kind, metadata: meta(ctx, name, role), spec },
        res(ctx),
      );
    for (const r of prometheusRuleSpecs()) crd("PrometheusRule", r.name, "prometheus", { groups: r.groups });
    for (const kind of ["gateway", "router"] as const) {
      crd("ServiceMonitor", kind, kind, {
        jobLabel: "proving-ground/job",
        selector: { matchLabels: roleLabels(ctx.stack, kind) },
        namespaceSelector: { matchNames: [ctx.namespace] },
        endpoints: [{ port: kind === "gateway" ? "http" : "metrics", path: HTTP_ROUTES.metrics, interval }],
      });
    }
    for (const t of targets.filter((x) => x.probe)) {
      crd("Probe", t.job, "blackbox", {
        jobName: t.job,
        interval,
        module: t.probe!.module,
        prober: { url: t.probe!.exporter },
        targets: { staticConfig: { static: t.targets } },
      });
    }
    return { roles: ["blackbox"] };
  }

  const serviceAccountName = discoveryAccount(ctx);
  const prometheus = monitoringDeployment(
    ctx,
    prometheusSpec({
      image: a.prometheusImage,
      stack: ctx.stack,
      scrapeIntervalSeconds: a.scrapeIntervalSeconds,
      targets,
      alertmanager: `${dns("alertmanager")}:${ALERTMANAGER_PORT}`,
      endpointDiscovery: {
        namespace: ctx.namespace,
        jobs: { [SCRAPE_JOBS.gateway]: "gateway", [SCRAPE_JOBS.router]: "router" },
      },
    }),
    { serviceAccountName },
  );
  const alertmanager = monitoringDeployment(
    ctx,
    // No volume at the image's /alertmanager here: its state goes to /tmp.
    alertmanagerSpec({
      image: a.alertmanagerImage,
      webhookUrl: a.alertWebhookUrl,
      storagePath: "/tmp/alertmanager",
    }),
  );
  return {
    roles: ["blackbox", "prometheus", "alertmanager"],
    prometheusUrl: `http://${dns("prometheus")}:${PROMETHEUS_PORT}`,
    alertmanagerUrl: `http://${dns("alertmanager")}:${ALERTMANAGER_PORT}`,
    services: { prometheus, alertmanager },
  };
}
