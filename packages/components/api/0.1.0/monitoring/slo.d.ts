/** Label matchers in PromQL form: `{ route: "/x" }` → route="/x"; values starting with "~" are regexes. */
export type Matchers = Record<string, string>;
/**
 * Request-based SLI: `metric{job, ...matchers}` counts every event, and the events whose `errorLabel`
 * matches `errorRegex` are bad. `goodExample`/`badExample` are concrete label values (documentation,
 * and what the generated promtool tests use as input series).
 */
export interface ErrorRatioSli {
    kind: "errorRatio";
    metric: string;
    job: string;
    matchers: Matchers;
    errorLabel: string;
    errorRegex: string;
    goodExample: string;
    badExample: string;
}
/**
 * Latency SLI on a Prometheus histogram: an event is good when it is at most `thresholdSeconds`,
 * which must be a bucket bound of the histogram (otherwise the SLI silently uses the next bound).
 */
export interface LatencySli {
    kind: "latency";
    histogram: string;
    job: string;
    matchers: Matchers;
    thresholdSeconds: number;
}
export type Sli = ErrorRatioSli | LatencySli;
export interface Slo {
    /** kebab-case id, used as the `slo` label and in file names. */
    name: string;
    /** Short human description, shown in alert text and dashboards. */
    description: string;
    /** Target share of good events, e.g. 0.999. */
    objective: number;
    /** Rolling SLO period in days (the burn-rate factors are derived from it). */
    periodDays: number;
    sli: Sli;
}
export declare const DECIDE_ROUTE = "/api/v1/routes/decide";
export declare const SLOS: readonly Slo[];
/** Throws one error listing every problem, each naming the SLO and the field. */
export declare function validateSlos(slos: readonly Slo[]): void;
