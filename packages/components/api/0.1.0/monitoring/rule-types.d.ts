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
    labels: Record<string, string> & {
        severity: Severity;
    };
    annotations: {
        summary: string;
        description: string;
        runbook_url: string;
    } & Record<string, string>;
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
}
export declare const DEFAULT_RULE_OPTIONS: RuleOptions;
/** Applies the `maxForSeconds` cap; renders whole minutes as "Nm" for readability. */
export declare function forDuration(seconds: number, opts: Pick<RuleOptions, "maxForSeconds">): string | undefined;
export declare function runbookUrl(alert: string, opts: Pick<RuleOptions, "runbookBaseUrl">): string;
/** PromQL label matchers; a value starting with "~" is a regex match. Keys are sorted for stable output. */
export declare function selector(metric: string, matchers: Record<string, string>): string;
/** Deterministic YAML: fixed key order (as built), no line folding, no anchors. */
export declare function toYaml(doc: unknown): string;
export declare function renderGroups(groups: RuleGroup[]): string;
