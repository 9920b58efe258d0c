// prometheus.yml and the blackbox exporter's module file, rendered from plain data.
import { toYaml } from "./rule-types";

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

/** Blackbox modules the probe jobs use: a TCP connect for NATS, an HTTP 2xx check for the gateway. */
export const BLACKBOX_MODULES = { tcp: "tcp_connect", http: "http_2xx" } as const;

function validate(opts: PrometheusConfigOptions): void {
  const problems: string[] = [];
  const pos = (k: "scrapeIntervalSeconds" | "evaluationIntervalSeconds") => {
    if (!(Number.isInteger(opts[k]) && opts[k] > 0))
      problems.push(`${k} must be a positive integer, got ${opts[k]}`);
  };
  pos("scrapeIntervalSeconds");
  pos("evaluationIntervalSeconds");
  const jobs = new Set<string>();
  for (const [i, t] of opts.targets.entries()) {
    if (!t.job) problems.push(`targets[${i}].job must be a non-empty string`);
    if (jobs.has(t.job)) problems.push(`targets[${i}].job ${JSON.stringify(t.job)} is duplicated`);
    jobs.add(t.job);
    if (!t.targets.length) problems.push(`targets[${i}].targets must list at least one address`);
    if (t.probe && (!t.probe.module || !/^[^/\s]+:\d+$/.test(t.probe.exporter)))
      problems.push(
        `targets[${i}].probe needs a module and an exporter as host:port, got ${JSON.stringify(t.probe)}`,
      );
    if (!t.probe) {
      for (const a of t.targets)
        if (!/^[^/\s]+:\d+$/.test(a))
          problems.push(`targets[${i}].targets entry ${JSON.stringify(a)} must be host:port`);
    }
  }
  for (const [i, a] of opts.alertmanagers.entries())
    if (!/^[^/\s]+:\d+$/.test(a))
      problems.push(`alertmanagers[${i}] must be host:port, got ${JSON.stringify(a)}`);
  if (problems.length) throw new Error(`invalid Prometheus config options:\n  ${problems.join("\n  ")}`);
}

/** prometheus.yml (pure and deterministic). */
export function renderPrometheusConfig(opts: PrometheusConfigOptions): string {
  validate(opts);
  const global: Record<string, unknown> = {
    scrape_interval: `${opts.scrapeIntervalSeconds}s`,
    scrape_timeout: `${Math.max(1, Math.min(10, opts.scrapeIntervalSeconds))}s`,
    evaluation_interval: `${opts.evaluationIntervalSeconds}s`,
  };
  if (opts.externalLabels && Object.keys(opts.externalLabels).length) {
    global.external_labels = Object.fromEntries(
      Object.keys(opts.externalLabels)
        .sort()
        .map((k) => [k, opts.externalLabels![k]]),
    );
  }
  const scrapeConfigs = opts.targets.map((t) => {
    if (!t.probe) {
      return {
        job_name: t.job,
        ...(t.metricsPath ? { metrics_path: t.metricsPath } : {}),
        static_configs: [{ targets: t.targets }],
      };
    }
    // Blackbox pattern: the probed address becomes the `target` parameter and the `instance` label,
    // and the scrape itself goes to the exporter.
    return {
      job_name: t.job,
      metrics_path: t.metricsPath ?? "/probe",
      params: { module: [t.probe.module] },
      static_configs: [{ targets: t.targets }],
      relabel_configs: [
        { source_labels: ["__address__"], target_label: "__param_target" },
        { source_labels: ["__param_target"], target_label: "instance" },
        { target_label: "__address__", replacement: t.probe.exporter },
      ],
    };
  });
  const doc: Record<string, unknown> = { global };
  if (opts.alertmanagers.length) {
    doc.alerting = { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] };
  }
  if (opts.ruleFiles.length) doc.rule_files = opts.ruleFiles;
  doc.scrape_configs = scrapeConfigs;
  return toYaml(doc);
}

/** blackbox.yml with the modules the probe jobs use. */
export function renderBlackboxConfig(): string {
  return toYaml({
    modules: {
      [BLACKBOX_MODULES.tcp]: { prober: "tcp", timeout: "2s", tcp: { preferred_ip_protocol: "ip4" } },
      [BLACKBOX_MODULES.http]: {
        prober: "http",
        timeout: "2s",
        http: { preferred_ip_protocol: "ip4", valid_status_codes: [], method: "GET" },
      },
    },
  });
}
