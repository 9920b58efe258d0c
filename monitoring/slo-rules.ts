// SLO → Prometheus rules: error-ratio recording rules per window, metadata series, multi-window
// multi-burn-rate alerts and an SLI-absent alert.
//
// Zero-traffic guard (what Sloth and Pyrra lack): the denominator is clamped to a tiny positive rate and
// a missing error series counts as zero errors, so an idle service records an error ratio of exactly 0
// (never NaN or +Inf) and cannot page. Only a *missing* SLI metric leaves the ratio empty, and that is
// what SLOSLIAbsent reports.
import { BURN_POLICIES, burnFactor, promDuration, promDurationSeconds, requiredWindows } from "./burn-rate";
import {
  AlertingRule,
  RecordingRule,
  RuleGroup,
  RuleOptions,
  forDuration,
  runbookUrl,
  selector,
} from "./rule-types";
import type { Slo } from "./slo";

/** Denominator floor (events per second): far below any real traffic, so it only matters at zero. */
export const ZERO_TRAFFIC_EPSILON = "1e-9";

export const SLO_ALERTS = {
  page: "SLOErrorBudgetBurnPage",
  ticket: "SLOErrorBudgetBurnTicket",
  absent: "SLOSLIAbsent",
} as const;

/** How long the SLI metric must be missing before SLOSLIAbsent fires. */
const ABSENT_FOR_SECONDS = 600;

export function errorRatioRecord(minutes: number): string {
  return `slo:sli_error:ratio_rate${promDuration(minutes)}`;
}
export const REQUESTS_RECORD = "slo:sli_requests:rate5m";
export const OBJECTIVE_RECORD = "slo:objective:ratio";
export const BUDGET_RECORD = "slo:error_budget:ratio";
export const REMAINING_RECORD = "slo:period_error_budget_remaining:ratio";
export const PERIOD_RECORD = "slo:period:days";
/** Error ratio over the SLO's own period, whatever its length (dashboards read this one). */
export const PERIOD_RATIO_RECORD = "slo:sli_error:ratio_rate_period";

/** PromQL for the per-second rate of all SLI events over `w`, and of the bad ones. */
export function sliRates(slo: Slo, w: string): { total: string; errors: string } {
  const sli = slo.sli;
  const base = { job: sli.job, ...sli.matchers };
  if (sli.kind === "errorRatio") {
    return {
      total: `sum(rate(${selector(sli.metric, base)}[${w}]))`,
      errors: `sum(rate(${selector(sli.metric, { ...base, [sli.errorLabel]: `~${sli.errorRegex}` })}[${w}]))`,
    };
  }
  const total = `sum(rate(${selector(`${sli.histogram}_count`, base)}[${w}]))`;
  const good = `sum(rate(${selector(`${sli.histogram}_bucket`, { ...base, le: String(sli.thresholdSeconds) })}[${w}]))`;
  return { total, errors: `(${total} - ${good})` };
}

/** The selector that proves the SLI metric exists (used by the absent alert). */
export function sliPresenceSelector(slo: Slo): string {
  const sli = slo.sli;
  const base = { job: sli.job, ...sli.matchers };
  return sli.kind === "errorRatio" ? selector(sli.metric, base) : selector(`${sli.histogram}_count`, base);
}

/** Seconds of a window of `minutes`, scaled by the profile's windowScale. */
function windowSeconds(minutes: number, opts: Pick<RuleOptions, "windowScale">): number {
  const seconds = Math.round(minutes * 60 * opts.windowScale);
  if (!(seconds >= 1))
    throw new Error(`windowScale ${opts.windowScale} shrinks the ${promDuration(minutes)} window below 1s`);
  return seconds;
}

/** The PromQL range for a window of `minutes`, scaled by the profile's windowScale. */
function windowRange(minutes: number, opts: Pick<RuleOptions, "windowScale">): string {
  return promDurationSeconds(windowSeconds(minutes, opts));
}

/**
 * "At least `min` SLI events in the short window": events = rate × window seconds, so it is an
 * expression over the same raw series as the ratio (extrapolated like it, and scaled by windowScale).
 */
function minEventsExpr(
  slo: Slo,
  minutes: number,
  min: number,
  opts: Pick<RuleOptions, "windowScale">,
): string {
  const seconds = windowSeconds(minutes, opts);
  return `(${sliRates(slo, promDurationSeconds(seconds)).total} * ${seconds}) >= ${min}`;
}

function errorRatioExpr(slo: Slo, minutes: number, opts: Pick<RuleOptions, "windowScale">): string {
  const { total, errors } = sliRates(slo, windowRange(minutes, opts));
  // `or 0 * total`: an error series that never appeared (no 5xx yet) is zero errors, not "no data".
  return `(${errors} or 0 * ${total}) / clamp_min(${total}, ${ZERO_TRAFFIC_EPSILON})`;
}

export function sloRuleGroup(slo: Slo, opts: RuleOptions): RuleGroup {
  const labels = { slo: slo.name };
  const budget = 1 - slo.objective;
  const budgetStr = String(Math.round(budget * 1e9) / 1e9);
  const periodMinutes = slo.periodDays * 1440;
  const windows = [...requiredWindows(), periodMinutes].filter((m, i, a) => a.indexOf(m) === i);

  const recording: RecordingRule[] = windows.map((m) => ({
    record: errorRatioRecord(m),
    expr: errorRatioExpr(slo, m, opts),
    labels,
  }));
  recording.push(
    { record: REQUESTS_RECORD, expr: sliRates(slo, windowRange(5, opts)).total, labels },
    { record: OBJECTIVE_RECORD, expr: `vector(${slo.objective})`, labels },
    { record: BUDGET_RECORD, expr: `vector(${budgetStr})`, labels },
    { record: PERIOD_RECORD, expr: `vector(${slo.periodDays})`, labels },
    { record: PERIOD_RATIO_RECORD, expr: `${errorRatioRecord(periodMinutes)}{slo="${slo.name}"}`, labels },
    {
      record: REMAINING_RECORD,
      expr: `1 - ${PERIOD_RATIO_RECORD}{slo="${slo.name}"} / ${budgetStr}`,
      labels,
    },
  );

  const alerts: AlertingRule[] = BURN_POLICIES.map((policy) => {
    const name = policy.kind === "page" ? SLO_ALERTS.page : SLO_ALERTS.ticket;
    const clauses = policy.windows.map((w) => {
      const f = burnFactor(slo.periodDays, w);
      const long = `${errorRatioRecord(w.longMinutes)}{slo="${slo.name}"} > (${f} * ${budgetStr})`;
      const short = `${errorRatioRecord(w.shortMinutes)}{slo="${slo.name}"} > (${f} * ${budgetStr})`;
      if (policy.kind === "page" && opts.pageMinEvents > 0)
        return `(${long} and ${short} and on () ${minEventsExpr(slo, w.shortMinutes, opts.pageMinEvents, opts)})`;
      return `(${long} and ${short})`;
    });
    const pairs = policy.windows
      .map(
        (w) =>
          `${promDuration(w.longMinutes)}/${promDuration(w.shortMinutes)} ×${burnFactor(slo.periodDays, w)}`,
      )
      .join(" or ");
    return {
      alert: name,
      expr: clauses.join(" or "),
      labels: { severity: policy.severity, slo: slo.name, burn: policy.kind },
      annotations: {
        summary: `SLO ${slo.name} is burning its ${slo.periodDays}-day error budget too fast (${policy.kind})`,
        description:
          `${slo.description} (objective ${Math.round(slo.objective * 1e6) / 1e4}%): the error ratio is above the burn-rate ` +
          `threshold in both windows of a pair (${pairs})` +
          (policy.kind === "page" && opts.pageMinEvents > 0
            ? `, with at least ${opts.pageMinEvents} requests in the short window`
            : "") +
          `. See the SLO dashboard for the current ratios.`,
        runbook_url: runbookUrl(name, opts),
      },
    };
  });

  alerts.push({
    alert: SLO_ALERTS.absent,
    expr: `absent(${sliPresenceSelector(slo)})`,
    ...(forDuration(ABSENT_FOR_SECONDS, opts) ? { for: forDuration(ABSENT_FOR_SECONDS, opts) } : {}),
    labels: { severity: "warning", slo: slo.name },
    annotations: {
      summary: `SLI metric of SLO ${slo.name} is missing`,
      description:
        `No series ${sliPresenceSelector(slo)} has been scraped for a while, so the SLO ${slo.name} cannot be ` +
        `evaluated and its burn-rate alerts cannot fire.`,
      runbook_url: runbookUrl(SLO_ALERTS.absent, opts),
    },
  });

  return { name: `slo-${slo.name}`, rules: [...recording, ...alerts] };
}
