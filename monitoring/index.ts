// Public surface of monitoring-as-code, consumed by the Observability component and the cloud stacks.
// Every function is pure and deterministic: the same input renders byte-identical files.
// See monitoring/README.md for the SLOs, the alerts and how the files are mounted.
import { renderAlertmanagerConfig as renderAm } from "./alertmanager";
import type { AlertmanagerOptions } from "./alertmanager";
import { PROMETHEUS_DATASOURCE_UID, renderDashboardFiles } from "./dashboards";
import { renderPrometheusConfig as renderProm } from "./prometheus-config";
import type { PrometheusConfigOptions, ScrapeTarget } from "./prometheus-config";
import type { RuleOptions } from "./rule-types";
import { RenderedFile, renderRules } from "./rules";

export type { RenderedFile, ScrapeTarget, PrometheusConfigOptions, AlertmanagerOptions, RuleOptions };
export { SCRAPE_JOBS, SERVICE_JOBS } from "./jobs";
export { NATS_EXPORTER_JOB } from "./nats-alerts";
export { PROMETHEUS_DATASOURCE_UID };
export { renderBlackboxConfig, BLACKBOX_MODULES } from "./prometheus-config";
export { SLOS, validateSlos } from "./slo";
export type { Slo, Sli } from "./slo";
export { RECEIVERS } from "./alertmanager";
export { DEFAULT_RULE_OPTIONS } from "./rule-types";

/** prometheus.yml */
export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  return renderProm(opts);
}

/**
 * Prometheus rule files (recording rules and alerts) generated from the SLOs and alert definitions.
 * `opts` tunes thresholds and the runbook base URL; the default is the production profile.
 */
export function renderRuleFiles(opts: Partial<RuleOptions> = {}): RenderedFile[] {
  return renderRules(opts);
}

/** alertmanager.yml */
export function renderAlertmanagerConfig(opts: AlertmanagerOptions): string {
  return renderAm(opts);
}

/** Grafana dashboards as JSON files (datasource referenced by the fixed uid PROMETHEUS_DATASOURCE_UID). */
export function renderDashboards(): RenderedFile[] {
  return renderDashboardFiles();
}

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
