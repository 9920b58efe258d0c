import type * as pulumi from "@pulumi/pulumi";
import { type ScrapeTarget } from "../monitoring";
import type { Limits } from "./types";
import type { PartSpec } from "./spec";
export declare const PROMETHEUS_PORT = 9090;
export declare const ALERTMANAGER_PORT = 9093;
export declare const BLACKBOX_PORT = 9115;
export declare const GRAFANA_PORT = 3000;
export declare const NATS_EXPORTER_PORT = 7777;
export declare const CADVISOR_PORT = 8080;
export declare const LOKI_PORT = 3100;
export declare const PROMTAIL_PORT = 9080;
export declare const GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards";
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
export declare function scrapeTargets(o: ScrapeTargetOptions): ScrapeTarget[];
/** blackbox.yml: one HTTP module expecting a 2xx, short timeout so a dead target shows quickly. */
export declare function renderBlackboxConfig(): string;
/** Single-binary Loki with filesystem storage: enough for one stack's container logs. */
export declare function renderLokiConfig(): string;
/** promtail: discovers this stack's containers through the Docker socket (by label) and ships their logs. */
export declare function renderPromtailConfig(o: {
    lokiUrl: string;
    stack: string;
}): string;
/** Grafana datasource for Loki, next to monitoring's Prometheus datasource. */
export declare function renderLokiDatasource(lokiUrl: string): string;
/**
 * Rewrites the given jobs of a rendered prometheus.yml from static targets to Kubernetes endpoint
 * discovery (job name → Service name), so every pod of a Deployment is scraped (a Service address would
 * hit a random pod per scrape). Job names, intervals, rules and alerting stay exactly as rendered.
 */
export declare function withEndpointDiscovery(prometheusYml: string, namespace: string, jobs: Record<string, string>): string;
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
    endpointDiscovery?: {
        namespace: string;
        jobs: Record<string, string>;
    };
    limits?: Limits;
}
/** Prometheus: prometheus.yml and the rule files from monitoring/, the lifecycle API on. */
export declare function prometheusSpec(o: PrometheusSpecOptions): PartSpec;
export interface AlertmanagerSpecOptions {
    image: string;
    webhookUrl: string;
    /** Where silences and the notification log live. Default "/alertmanager" (the image's volume). */
    storagePath?: string;
    limits?: Limits;
}
/** Alertmanager: alertmanager.yml from monitoring/, a single instance without gossip. */
export declare function alertmanagerSpec(o: AlertmanagerSpecOptions): PartSpec;
/** The blackbox exporter with renderBlackboxConfig's modules. */
export declare function blackboxSpec(o: {
    image: string;
    limits?: Limits;
}): PartSpec;
/** Single-binary Loki (renderLokiConfig). */
export declare function lokiSpec(o: {
    image: string;
    limits?: Limits;
}): PartSpec;
/** promtail shipping the stack's container logs (found through the Docker socket) to Loki. */
export declare function promtailSpec(o: {
    image: string;
    lokiUrl: string;
    stack: string;
    limits?: Limits;
}): PartSpec;
/** Grafana: provisioned datasources (Loki too when given) and monitoring/'s dashboards, anonymous Viewer. */
export declare function grafanaSpec(o: {
    image: string;
    prometheusUrl: string;
    lokiUrl?: string;
    adminPassword: pulumi.Input<string>;
    limits?: Limits;
}): PartSpec;
/** The official NATS exporter scraping each node's monitoring endpoint. */
export declare function natsExporterSpec(o: {
    image: string;
    natsMonitors: string[];
    limits?: Limits;
}): PartSpec;
/** cAdvisor reading the host's cgroups and Docker state (read-only). */
export declare function cadvisorSpec(o: {
    image: string;
    limits?: Limits;
}): PartSpec;
