import type { AlertmanagerOptions } from "./alertmanager";
import { PROMETHEUS_DATASOURCE_UID } from "./dashboards";
import type { PrometheusConfigOptions, ScrapeTarget } from "./prometheus-config";
import type { RuleOptions } from "./rule-types";
import { RenderedFile } from "./rules";
export type { RenderedFile, ScrapeTarget, PrometheusConfigOptions, AlertmanagerOptions, RuleOptions };
export { SCRAPE_JOBS, SERVICE_JOBS } from "./jobs";
export { PROMETHEUS_DATASOURCE_UID };
export { renderBlackboxConfig, BLACKBOX_MODULES } from "./prometheus-config";
export { SLOS, validateSlos } from "./slo";
export type { Slo, Sli } from "./slo";
export { RECEIVERS } from "./alertmanager";
export { DEFAULT_RULE_OPTIONS } from "./rule-types";
/** prometheus.yml */
export declare function renderPrometheusConfig(opts: PrometheusConfigOptions): string;
/**
 * Prometheus rule files (recording rules and alerts) generated from the SLOs and alert definitions.
 * `opts` tunes thresholds and the runbook base URL; the default is the production profile.
 */
export declare function renderRuleFiles(opts?: Partial<RuleOptions>): RenderedFile[];
/** alertmanager.yml */
export declare function renderAlertmanagerConfig(opts: AlertmanagerOptions): string;
/** Grafana dashboards as JSON files (datasource referenced by the fixed uid PROMETHEUS_DATASOURCE_UID). */
export declare function renderDashboards(): RenderedFile[];
/** Grafana provisioning files: datasources/prometheus.yml and dashboards/provider.yml. */
export declare function renderGrafanaProvisioning(opts: {
    prometheusUrl: string;
    dashboardsDir: string;
}): RenderedFile[];
