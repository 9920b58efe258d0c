// Pure, deterministic renderers for the Observability component's own files (what monitoring/ does not
// own): the scrape target list, the blackbox exporter modules, Loki, promtail and Grafana's Loki source.
// Prometheus rules, prometheus.yml, alertmanager.yml and dashboards come from monitoring/.
import { SCRAPE_JOBS, type ScrapeTarget } from "../monitoring";

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const BLACKBOX_PORT = 9115;
export const GRAFANA_PORT = 3000;
export const NATS_EXPORTER_PORT = 7777;
export const CADVISOR_PORT = 8080;
export const LOKI_PORT = 3100;

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
  if (o.natsExporter) targets.push({ job: "nats-exporter", targets: [o.natsExporter] });
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
    "  http_listen_port: 9080",
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
