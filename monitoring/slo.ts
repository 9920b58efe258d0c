// Service level objectives as typed data. The rule generator (slo-rules.ts), the dashboards and the
// promtool tests all read these definitions, so an SLO is described exactly once.
import { SCRAPE_JOBS } from "./jobs";
import { METRIC_BUCKETS } from "./metrics";

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

export const DECIDE_ROUTE = "/api/v1/routes/decide";

export const SLOS: readonly Slo[] = [
  {
    name: "gateway-availability",
    description: "Share of POST /api/v1/routes/decide answers that are not 5xx",
    objective: 0.999,
    periodDays: 30,
    sli: {
      kind: "errorRatio",
      metric: "gateway_http_requests_total",
      job: SCRAPE_JOBS.gateway,
      matchers: { route: DECIDE_ROUTE, method: "POST" },
      errorLabel: "status",
      errorRegex: "5..",
      goodExample: "200",
      badExample: "503",
    },
  },
  {
    name: "gateway-latency",
    description: "Share of POST /api/v1/routes/decide answered within 50 ms",
    objective: 0.99,
    periodDays: 30,
    sli: {
      kind: "latency",
      histogram: "gateway_http_request_duration_seconds",
      job: SCRAPE_JOBS.gateway,
      matchers: { route: DECIDE_ROUTE, method: "POST" },
      thresholdSeconds: 0.05,
    },
  },
  {
    name: "durable-intake",
    description: "Share of accepted durable messages decided within 60 s of acceptance",
    objective: 0.999,
    periodDays: 30,
    sli: {
      kind: "latency",
      histogram: "router_intake_decision_latency_seconds",
      job: SCRAPE_JOBS.router,
      matchers: {},
      thresholdSeconds: 60,
    },
  },
  {
    name: "router-availability",
    description:
      "Share of router decide answers that are not failures (outcomes failed, error, fault, dropped); intake rejections of bad input count as good",
    objective: 0.999,
    periodDays: 30,
    sli: {
      kind: "errorRatio",
      metric: "router_decisions_total",
      job: SCRAPE_JOBS.router,
      matchers: {},
      errorLabel: "outcome",
      errorRegex: "failed|error|fault|dropped",
      goodExample: "success",
      badExample: "failed",
    },
  },
];

const NAME_RE = /^[a-z][a-z0-9-]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Throws one error listing every problem, each naming the SLO and the field. */
export function validateSlos(slos: readonly Slo[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, slo] of slos.entries()) {
    const at = `slos[${i}]${slo.name ? ` (${slo.name})` : ""}`;
    if (!NAME_RE.test(slo.name ?? ""))
      problems.push(`${at}.name must be kebab-case, got ${JSON.stringify(slo.name)}`);
    if (seen.has(slo.name)) problems.push(`${at}.name is duplicated`);
    seen.add(slo.name);
    if (!(slo.objective > 0 && slo.objective < 1))
      problems.push(`${at}.objective must be in (0, 1) exclusive, got ${slo.objective}`);
    if (!(Number.isInteger(slo.periodDays) && slo.periodDays >= 1 && slo.periodDays <= 90))
      problems.push(`${at}.periodDays must be an integer between 1 and 90, got ${slo.periodDays}`);
    if (!slo.description) problems.push(`${at}.description must be a non-empty string`);
    const sli = slo.sli;
    const metric = sli.kind === "errorRatio" ? sli.metric : sli.histogram;
    if (!METRIC_RE.test(metric ?? ""))
      problems.push(`${at}.sli metric name is invalid: ${JSON.stringify(metric)}`);
    if (!sli.job) problems.push(`${at}.sli.job must be a non-empty scrape job name`);
    for (const k of Object.keys(sli.matchers ?? {}))
      if (!LABEL_RE.test(k) || k === "job")
        problems.push(`${at}.sli.matchers has an invalid label name ${JSON.stringify(k)}`);
    if (sli.kind === "errorRatio") {
      if (!LABEL_RE.test(sli.errorLabel))
        problems.push(`${at}.sli.errorLabel is not a label name: ${sli.errorLabel}`);
      let re: RegExp | undefined;
      try {
        re = new RegExp(`^(?:${sli.errorRegex})$`);
      } catch (e) {
        problems.push(`${at}.sli.errorRegex is not a regex: ${(e as Error).message}`);
      }
      if (re && !re.test(sli.badExample))
        problems.push(`${at}.sli.badExample ${sli.badExample} must match errorRegex`);
      if (re && re.test(sli.goodExample))
        problems.push(`${at}.sli.goodExample ${sli.goodExample} must not match errorRegex`);
    } else if (sli.kind === "latency") {
      const buckets = METRIC_BUCKETS[sli.histogram];
      if (!buckets)
        problems.push(`${at}.sli.histogram ${sli.histogram} has no known buckets (add it to METRIC_BUCKETS)`);
      else if (!buckets.includes(sli.thresholdSeconds))
        problems.push(
          `${at}.sli.thresholdSeconds ${sli.thresholdSeconds} is not a bucket bound of ${sli.histogram} (bounds: ${buckets.join(", ")})`,
        );
    } else {
      problems.push(`${at}.sli.kind must be "errorRatio" or "latency"`);
    }
  }
  if (problems.length) throw new Error(`invalid SLO definitions:\n  ${problems.join("\n  ")}`);
}
