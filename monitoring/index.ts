// Public surface of monitoring-as-code, consumed by the Observability component and the cloud stacks.
// Every function is pure and deterministic: the same input renders byte-identical files.
// (Skeleton: the monitoring issue fills these in; signatures are the contract with components/.)

export interface RenderedFile {
  /** File name relative to its config directory, e.g. "slo-gateway-availability.rules.yml". */
  name: string;
  content: string;
}

/** One scrape job in prometheus.yml. Job names are the ones alert rules rely on (see SCRAPE_JOBS). */
export interface ScrapeTarget {
  job: string;
  targets: string[];
  metricsPath?: string;
  /** For blackbox probes: the module, and the exporter address that performs the probe. */
  probe?: { module: string; exporter: string };
}

export interface PrometheusConfigOptions {
  scrapeIntervalSeconds: number;
  evaluationIntervalSeconds: number;
  targets: ScrapeTarget[];
  alertmanagers: string[];
  /** Paths (as Prometheus sees them) of rule files, globs allowed. */
  ruleFiles: string[];
  externalLabels?: Record<string, string>;
}

/** Job names the generated alerts select on; components must scrape with exactly these. */
export const SCRAPE_JOBS = {
  gateway: "gateway",
  router: "router",
  prometheus: "prometheus",
  alertmanager: "alertmanager",
  natsProbe: "blackbox-nats",
  gatewayProbe: "blackbox-gateway",
} as const;

/** prometheus.yml */
export function renderPrometheusConfig(_opts: PrometheusConfigOptions): string {
  return "global: {}\n";
}

/** Prometheus rule files (recording rules and alerts) generated from the SLOs and alert definitions. */
export function renderRuleFiles(): RenderedFile[] {
  return [];
}

export interface AlertmanagerOptions {
  /** Webhook receiving every alert (e.g. a test sink or an incident tool). */
  webhookUrl: string;
  /** Optional separate webhook for critical (paging) alerts; defaults to webhookUrl. */
  pageWebhookUrl?: string;
}

/** alertmanager.yml */
export function renderAlertmanagerConfig(_opts: AlertmanagerOptions): string {
  return "route:\n  receiver: default\nreceivers:\n  - name: default\n";
}

/** Grafana dashboards as JSON files (datasource referenced by the fixed uid PROMETHEUS_DATASOURCE_UID). */
export function renderDashboards(): RenderedFile[] {
  return [];
}

export const PROMETHEUS_DATASOURCE_UID = "prometheus";

/** Grafana provisioning files: datasources/prometheus.yml and dashboards/provider.yml. */
export function renderGrafanaProvisioning(opts: {
  prometheusUrl: string;
  dashboardsDir: string;
}): RenderedFile[] {
  return [
    {
      name: "datasources/prometheus.yml",
      content: `apiVersion: 1\ndatasources:\n  - name: Prometheus\n    uid: ${PROMETHEUS_DATASOURCE_UID}\n    type: prometheus\n    access: proxy\n    url: ${opts.prometheusUrl}\n    isDefault: true\n`,
    },
    {
      name: "dashboards/provider.yml",
      content: `apiVersion: 1\nproviders:\n  - name: beamline\n    type: file\n    options:\n      path: ${opts.dashboardsDir}\n`,
    },
  ];
}
