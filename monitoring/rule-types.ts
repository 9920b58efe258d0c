// The Prometheus rule-file model (https://prometheus.io/docs/prometheus/latest/configuration/recording_rules/)
// and its deterministic YAML rendering.
import YAML from "yaml";
import type { Severity } from "./burn-rate";

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string> & { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string } & Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  /** Evaluation interval override, e.g. "30s"; omitted → the global evaluation interval. */
  interval?: string;
  rules: Rule[];
}

/** Options shared by every rule generator. */
export interface RuleOptions {
  /** Base of every runbook_url; the alert name and ".md" are appended. */
  runbookBaseUrl: string;
  /**
   * Caps every alert's `for:` (seconds). The live test profile uses a few seconds so faults are
   * detected within a test run; production leaves it undefined.
   */
  maxForSeconds?: number;
  /**
   * Multiplies every SLO window (test profile only): 1/60 turns 5m into 5s and 30d into 12h, so a live
   * test can watch a burn-rate alert fire and clear within seconds. Record names keep the production
   * window names so dashboards work unchanged. Production: 1.
   */
  windowScale: number;
  /**
   * A page needs at least this many SLI events in the short window of its pair (0 disables the guard).
   * Below it, one error is a large share: at 1 request a minute, a single 5xx is 1.7 % of the last hour
   * and 20 % of the last 5 minutes, which is over the 14.4× page threshold of a 99.9 % SLO. Tickets have
   * no such guard, so sustained errors at low traffic still open one (and the 6h/30m pair pages once 30
   * minutes hold enough events).
   */
  pageMinEvents: number;
  /** Resident-memory limit per service job (bytes) for MemoryNearLimit when cAdvisor is absent. */
  memoryLimitBytes: Record<string, number>;
  /** Share of the memory limit at which MemoryNearLimit fires. */
  memoryLimitRatio: number;
  /** JetStream pending messages above which JetStreamPendingHigh fires. */
  jetstreamPendingBound: number;
  /** Event-loop lag p99 (seconds) above which EventLoopLagHigh fires. */
  eventLoopLagSeconds: number;
  /**
   * Share of CFS periods (those with runnable work) that ended throttled, above which CpuThrottled
   * fires. Each throttled period stalls every thread of the cgroup until the period ends.
   */
  cpuThrottledRatio: number;
  /**
   * NATS nodes in the cluster, every one scraped by the NATS exporter. NatsClusterRouteDown fires when a
   * node has routes to fewer than natsClusterSize − 1 distinct peers; with 1 (a single node, no routes)
   * the alert is not rendered. The Docker component passes its number of NATS monitor URLs.
   */
  natsClusterSize: number;
  /** Share of a node's JetStream max_file_store in use above which NatsJetStreamStorageNearLimit fires. */
  natsStorageRatio: number;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = {
  runbookBaseUrl: "monitoring/runbooks",
  windowScale: 1,
  pageMinEvents: 10,
  memoryLimitBytes: { gateway: 256 * 1024 * 1024, router: 256 * 1024 * 1024 },
  memoryLimitRatio: 0.9,
  jetstreamPendingBound: 1000,
  eventLoopLagSeconds: 0.2,
  cpuThrottledRatio: 0.25,
  // The production cluster (Pulumi.prod.yaml and dev run natsReplicas: 3).
  natsClusterSize: 3,
  natsStorageRatio: 0.9,
};

/** Applies the `maxForSeconds` cap; renders whole minutes as "Nm" for readability. */
export function forDuration(seconds: number, opts: Pick<RuleOptions, "maxForSeconds">): string | undefined {
  const s = opts.maxForSeconds === undefined ? seconds : Math.min(seconds, opts.maxForSeconds);
  if (s <= 0) return undefined;
  return s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

export function runbookUrl(alert: string, opts: Pick<RuleOptions, "runbookBaseUrl">): string {
  return `${opts.runbookBaseUrl.replace(/\/+$/, "")}/${alert}.md`;
}

/** PromQL label matchers; a value starting with "~" is a regex match. Keys are sorted for stable output. */
export function selector(metric: string, matchers: Record<string, string>): string {
  const parts = Object.keys(matchers)
    .sort()
    .map((k) => {
      const v = matchers[k];
      return v.startsWith("~") ? `${k}=~${JSON.stringify(v.slice(1))}` : `${k}=${JSON.stringify(v)}`;
    });
  return `${metric}{${parts.join(",")}}`;
}

/** Deterministic YAML: fixed key order (as built), no line folding, no anchors. */
export function toYaml(doc: unknown): string {
  return YAML.stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false, sortMapEntries: false });
}

export function renderGroups(groups: RuleGroup[]): string {
  return toYaml({ groups });
}
