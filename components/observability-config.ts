// Pure, deterministic renderers for the Observability component's own files (what monitoring/ does not
// own): the scrape target list, the blackbox exporter modules, Loki, promtail and Grafana's Loki source.
// Prometheus rules, prometheus.yml, alertmanager.yml and dashboards come from monitoring/. Below them,
// one part spec per observability part (components/spec.ts) that every target's realizer renders.
import type * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import {
  NATS_EXPORTER_JOB,
  SCRAPE_JOBS,
  renderAlertmanagerConfig,
  renderDashboards,
  renderGrafanaProvisioning,
  renderPrometheusConfig,
  renderRuleFiles,
  type RuleOptions,
  type ScrapeTarget,
} from "../monitoring";
import type { Limits } from "./types";
import type { PartSpec } from "./spec";

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const BLACKBOX_PORT = 9115;
export const GRAFANA_PORT = 3000;
export const NATS_EXPORTER_PORT = 7777;
export const CADVISOR_PORT = 8080;
export const LOKI_PORT = 3100;
export const PROMTAIL_PORT = 9080;
export const GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards";

export interface ScrapeTargetOptions {
  /** host:port of each gateway replica (metrics at /metrics). */
  gateways: string[];
  /** host:port of each router replica's metrics port. */
  routers: string[];
  /** NATS monitoring base URLs probed at /healthz through the blackbox exporter. */
  natsMonitors: string[];
  /** Gateway base URLs probed at /health through the blackbox exporter. */
  gatewayProbes: string[];
  alertmanager: string;
  blackbox: string;
  natsExporter?: string;
  cadvisor?: string;
  loki?: string;
}

/** Scrape jobs with the job names monitoring's alert rules select on (SCRAPE_JOBS) plus optional extras. */
export function scrapeTargets(o: ScrapeTargetOptions): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [
    { job: SCRAPE_JOBS.prometheus, targets: [`localhost:${PROMETHEUS_PORT}`] },
    { job: SCRAPE_JOBS.alertmanager, targets: [o.alertmanager] },
    { job: SCRAPE_JOBS.gateway, targets: o.gateways },
    { job: SCRAPE_JOBS.router, targets: o.routers },
    {
      job: SCRAPE_JOBS.natsProbe,
      targets: o.natsMonitors.map((u) => `${u}/healthz`),
      probe: { module: "http_2xx", exporter: o.blackbox },
    },
    {
      job: SCRAPE_JOBS.gatewayProbe,
      targets: o.gatewayProbes.map((u) => `${u}/health`),
      probe: { module: "http_2xx", exporter: o.blackbox },
    },
  ];
  // The job name monitoring's NATS alerts select on.
  if (o.natsExporter) targets.push({ job: NATS_EXPORTER_JOB, targets: [o.natsExporter] });
  if (o.cadvisor) targets.push({ job: "cadvisor", targets: [o.cadvisor] });
  if (o.loki) targets.push({ job: "loki", targets: [o.loki] });
  return targets;
}

/** blackbox.yml: one HTTP module expecting a 2xx, short timeout so a dead target shows quickly. */
export function renderBlackboxConfig(): string {
  return [
    "modules:",
    "  http_2xx:",
    "    prober: http",
    "    timeout: 3s",
    "    http:",
    "      preferred_ip_protocol: ip4",
    "      valid_status_codes: []  # defaults to 2xx",
    "",
  ].join("\n");
}

/** Single-binary Loki with filesystem storage: enough for one stack's container logs. */
export function renderLokiConfig(): string {
  return [
    "auth_enabled: false",
    "server:",
    `  http_listen_port: ${LOKI_PORT}`,
    "common:",
    "  path_prefix: /loki",
    "  replication_factor: 1",
    "  ring:",
    "    kvstore:",
    "      store: inmemory",
    "  storage:",
    "    filesystem:",
    "      chunks_directory: /loki/chunks",
    "      rules_directory: /loki/rules",
    "schema_config:",
    "  configs:",
    "    - from: 2024-01-01",
    "      store: tsdb",
    "      object_store: filesystem",
    "      schema: v13",
    "      index:",
    "        prefix: index_",
    "        period: 24h",
    "",
  ].join("\n");
}

/** promtail: discovers this stack's containers through the Docker socket (by label) and ships their logs. */
export function renderPromtailConfig(o: { lokiUrl: string; stack: string }): string {
  return [
    "server:",
    `  http_listen_port: ${PROMTAIL_PORT}`,
    "positions:",
    "  filename: /tmp/positions.yaml",
    "clients:",
    `  - url: ${o.lokiUrl}/loki/api/v1/push`,
    "scrape_configs:",
    "  - job_name: containers",
    "    docker_sd_configs:",
    "      - host: unix:///var/run/docker.sock",
    "        refresh_interval: 5s",
    "        filters:",
    "          - name: label",
    `            values: ["proving-ground.stack=${o.stack}"]`,
    "    relabel_configs:",
    "      - source_labels: [__meta_docker_container_name]",
    "        regex: /(.*)",
    "        target_label: container",
    "      - source_labels: [__meta_docker_container_label_proving_ground_role]",
    "        target_label: role",
    "",
  ].join("\n");
}

/** Grafana datasource for Loki, next to monitoring's Prometheus datasource. */
export function renderLokiDatasource(lokiUrl: string): string {
  return [
    "apiVersion: 1",
    "datasources:",
    "  - name: Loki",
    "    uid: loki",
    "    type: loki",
    "    access: proxy",
    `    url: ${lokiUrl}`,
    "",
  ].join("\n");
}

/**
 * Rewrites the given jobs of a rendered prometheus.yml from static targets to Kubernetes endpoint
 * discovery (job name → Service name), so every pod of a Deployment is scraped (a Service address would
 * hit a random pod per scrape). Job names, intervals, rules and alerting stay exactly as rendered.
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

// ---- Part specs (components/spec.ts): one per observability part, used by the Docker component
// (observability.ts) and, for Prometheus, Alertmanager and the blackbox exporter, by the Kubernetes
// workloads (components/kubernetes/monitoring.ts). The prom images keep their ENTRYPOINT: specs set `args`.

const PROM_DIR = "/etc/prometheus";

/** A part serving HTTP on one port named "http", healthy when GET `healthPath` there answers 2xx. */
function httpPart(
  role: string,
  o: { image: string; limits?: Limits },
  port: number,
  healthPath: string,
  rest: Partial<PartSpec>,
): PartSpec {
  return {
    role,
    image: { kind: "image", name: o.image },
    env: [],
    ports: [{ name: "http", port }],
    health: { port, path: healthPath },
    limits: o.limits,
    files: [],
    volumes: [],
    ...rest,
  };
}

export interface PrometheusSpecOptions {
  image: string;
  /** external_labels.stack of every series and alert. */
  stack: string;
  scrapeIntervalSeconds: number;
  /** What to scrape and probe (addresses as this runtime resolves them). */
  targets: ScrapeTarget[];
  /** host:port of Alertmanager. */
  alertmanager: string;
  /**
   * Scrape these jobs' pods through Kubernetes endpoint discovery (job name → Service name) instead of
   * their static targets (withEndpointDiscovery).
   */
  endpointDiscovery?: { namespace: string; jobs: Record<string, string> };
  /**
   * Options of monitoring/'s rule files, e.g. `natsClusterSize` (the NATS nodes NatsClusterRouteDown
   * expects as peers). Default: DEFAULT_RULE_OPTIONS, the production profile.
   */
  ruleOptions?: Partial<RuleOptions>;
  limits?: Limits;
}

/** Prometheus: prometheus.yml and the rule files from monitoring/, the lifecycle API on. */
export function prometheusSpec(o: PrometheusSpecOptions): PartSpec {
  const yml = renderPrometheusConfig({
    scrapeIntervalSeconds: o.scrapeIntervalSeconds,
    evaluationIntervalSeconds: o.scrapeIntervalSeconds,
    targets: o.targets,
    alertmanagers: [o.alertmanager],
    ruleFiles: [`${PROM_DIR}/rules/*.yml`],
    externalLabels: { stack: o.stack },
  });
  const d = o.endpointDiscovery;
  return httpPart("prometheus", o, PROMETHEUS_PORT, "/-/ready", {
    args: [
      `--config.file=${PROM_DIR}/prometheus.yml`,
      "--storage.tsdb.path=/prometheus",
      `--web.listen-address=:${PROMETHEUS_PORT}`,
      // POST /-/reload lets tests and operators apply a config change without a restart.
      "--web.enable-lifecycle",
    ],
    probes: { live: "/-/healthy", ready: "/-/ready" },
    files: [
      {
        path: `${PROM_DIR}/prometheus.yml`,
        content: d ? withEndpointDiscovery(yml, d.namespace, d.jobs) : yml,
      },
      ...renderRuleFiles(o.ruleOptions).map((r) => ({
        path: `${PROM_DIR}/rules/${r.name}`,
        content: r.content,
        group: "rules",
      })),
    ],
    volumes: [{ kind: "scratch", name: "data", path: "/prometheus", sizeLimit: "2Gi" }],
  });
}

export interface AlertmanagerSpecOptions {
  image: string;
  webhookUrl: string;
  /** Where silences and the notification log live. Default "/alertmanager" (the image's volume). */
  storagePath?: string;
  limits?: Limits;
}

/** Alertmanager: alertmanager.yml from monitoring/, a single instance without gossip. */
export function alertmanagerSpec(o: AlertmanagerSpecOptions): PartSpec {
  return httpPart("alertmanager", o, ALERTMANAGER_PORT, "/-/healthy", {
    args: [
      "--config.file=/etc/alertmanager/alertmanager.yml",
      `--storage.path=${o.storagePath ?? "/alertmanager"}`,
      `--web.listen-address=:${ALERTMANAGER_PORT}`,
      // A single instance: no gossip port, no peer discovery noise.
      "--cluster.listen-address=",
    ],
    probes: { live: "/-/healthy", ready: "/-/ready" },
    files: [
      {
        path: "/etc/alertmanager/alertmanager.yml",
        content: renderAlertmanagerConfig({ webhookUrl: o.webhookUrl }),
      },
    ],
  });
}

/** The blackbox exporter with renderBlackboxConfig's modules. */
export function blackboxSpec(o: { image: string; limits?: Limits }): PartSpec {
  return httpPart("blackbox", o, BLACKBOX_PORT, "/metrics", {
    args: ["--config.file=/etc/blackbox_exporter/config.yml", `--web.listen-address=:${BLACKBOX_PORT}`],
    probes: { live: "/-/healthy", ready: "/-/healthy" },
    files: [{ path: "/etc/blackbox_exporter/config.yml", content: renderBlackboxConfig() }],
  });
}

/** Single-binary Loki (renderLokiConfig). */
export function lokiSpec(o: { image: string; limits?: Limits }): PartSpec {
  return httpPart("loki", o, LOKI_PORT, "/ready", {
    args: ["-config.file=/etc/loki/config.yml"],
    files: [{ path: "/etc/loki/config.yml", content: renderLokiConfig() }],
  });
}

/** promtail shipping the stack's container logs (found through the Docker socket) to Loki. */
export function promtailSpec(o: {
  image: string;
  lokiUrl: string;
  stack: string;
  limits?: Limits;
}): PartSpec {
  return httpPart("promtail", o, PROMTAIL_PORT, "/ready", {
    args: ["-config.file=/etc/promtail/config.yml"],
    // The promtail image is Debian-slim without wget/curl: probe /ready with bash's /dev/tcp.
    probeWith: "bash",
    files: [
      {
        path: "/etc/promtail/config.yml",
        content: renderPromtailConfig({ lokiUrl: o.lokiUrl, stack: o.stack }),
      },
    ],
    volumes: [{ kind: "host", path: "/var/run/docker.sock", target: "/var/run/docker.sock" }],
  });
}

/** Grafana: provisioned datasources (Loki too when given) and monitoring/'s dashboards, anonymous Viewer. */
export function grafanaSpec(o: {
  image: string;
  prometheusUrl: string;
  lokiUrl?: string;
  adminPassword: pulumi.Input<string>;
  limits?: Limits;
}): PartSpec {
  const provisioning = renderGrafanaProvisioning({
    prometheusUrl: o.prometheusUrl,
    dashboardsDir: GRAFANA_DASHBOARDS_DIR,
  });
  if (o.lokiUrl)
    provisioning.push({ name: "datasources/loki.yml", content: renderLokiDatasource(o.lokiUrl) });
  const admin = "GF_SECURITY_ADMIN_PASSWORD";
  return httpPart("grafana", o, GRAFANA_PORT, "/api/health", {
    env: [
      { name: admin, secret: { key: admin, value: o.adminPassword } },
      // Read-only dashboards without logging in; the port is bound to loopback by default.
      { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "true" },
      { name: "GF_AUTH_ANONYMOUS_ORG_ROLE", value: "Viewer" },
      { name: "GF_ANALYTICS_REPORTING_ENABLED", value: "false" },
    ],
    files: [
      ...provisioning.map((f) => ({ path: `/etc/grafana/provisioning/${f.name}`, content: f.content })),
      ...renderDashboards().map((f) => ({ path: `${GRAFANA_DASHBOARDS_DIR}/${f.name}`, content: f.content })),
    ],
  });
}

/** The official NATS exporter scraping each node's monitoring endpoint. */
export function natsExporterSpec(o: { image: string; natsMonitors: string[]; limits?: Limits }): PartSpec {
  return httpPart("nats-exporter", o, NATS_EXPORTER_PORT, "/metrics", {
    args: ["-varz", "-connz", "-routez", "-jsz=all", "-port", String(NATS_EXPORTER_PORT), ...o.natsMonitors],
  });
}

/** cAdvisor reading the host's cgroups and Docker state (read-only). */
export function cadvisorSpec(o: { image: string; limits?: Limits }): PartSpec {
  return httpPart("cadvisor", o, CADVISOR_PORT, "/healthz", {
    // Only this stack's containers; docker-only keeps cAdvisor's own overhead small.
    args: ["--docker_only=true", "--housekeeping_interval=10s", `--port=${CADVISOR_PORT}`],
    volumes: ["/", "/var/run", "/sys", "/var/lib/docker"].map((p) => ({
      kind: "host" as const,
      path: p,
      target: p === "/" ? "/rootfs" : p,
    })),
  });
}
