/** One scrape job in prometheus.yml. Job names are the ones alert rules rely on (see SCRAPE_JOBS). */
export interface ScrapeTarget {
    job: string;
    targets: string[];
    metricsPath?: string;
    /** For blackbox probes: the module, and the exporter address that performs the probe. */
    probe?: {
        module: string;
        exporter: string;
    };
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
/** Blackbox modules the probe jobs use: a TCP connect for NATS, an HTTP 2xx check for the gateway. */
export declare const BLACKBOX_MODULES: {
    readonly tcp: "tcp_connect";
    readonly http: "http_2xx";
};
/** prometheus.yml (pure and deterministic). */
export declare function renderPrometheusConfig(opts: PrometheusConfigOptions): string;
/** blackbox.yml with the modules the probe jobs use. */
export declare function renderBlackboxConfig(): string;
