// promtool test cases generated from each SLO definition: fast burn (page fires, then clears), slow burn
// (ticket only, then the ticket clears), healthy traffic, traffic without any error series, zero
// traffic (no NaN/Inf, no alert), low traffic (the page's minimum-events guard) and a missing SLI
// (absent alert).
import type { RenderedFile, Slo } from "../../../monitoring";
import {
  sliPresenceSelector,
  SLO_ALERTS,
  errorRatioRecord,
  REMAINING_RECORD,
  REQUESTS_RECORD,
} from "../../../monitoring/slo-rules";
import { BURN_POLICIES, burnFactor, requiredWindows } from "../../../monitoring/burn-rate";
import {
  AlertRuleTest,
  Coverage,
  InputSeries,
  PromtoolTest,
  counterValues,
  expAlert,
  seriesName,
} from "./promtool-tests";

/** Events per minute in every generated case: large enough that every error share is an integer. */
const PER_MINUTE = 10000;
const MINUTES = 450;

type Segments = [perMinute: number, minutes: number][];

/** Input series for an SLI given per-minute good and bad event counts. */
function sliSeries(slo: Slo, good: Segments, bad: Segments | undefined): InputSeries[] {
  const sli = slo.sli;
  const base = { job: sli.job, ...sli.matchers };
  if (sli.kind === "errorRatio") {
    const out = [
      {
        series: seriesName(sli.metric, { ...base, [sli.errorLabel]: sli.goodExample }),
        values: counterValues(100, good),
      },
    ];
    if (bad)
      out.push({
        series: seriesName(sli.metric, { ...base, [sli.errorLabel]: sli.badExample }),
        values: counterValues(0, bad),
      });
    return out;
  }
  const total: Segments = good.map(([g, n], i) => [g + (bad?.[i]?.[0] ?? 0), n]);
  return [
    { series: seriesName(`${sli.histogram}_count`, base), values: counterValues(100, total) },
    {
      series: seriesName(`${sli.histogram}_bucket`, { ...base, le: String(sli.thresholdSeconds) }),
      values: counterValues(100, good),
    },
    {
      series: seriesName(`${sli.histogram}_bucket`, { ...base, le: "+Inf" }),
      values: counterValues(100, total),
    },
  ];
}

/** Labels absent() gives: the equality matchers of the presence selector. */
function absentLabels(slo: Slo): Record<string, string> {
  const m = /\{(.*)\}$/.exec(sliPresenceSelector(slo))![1];
  const out: Record<string, string> = {};
  for (const part of m.match(/\w+="(?:[^"\\]|\\.)*"/g) ?? []) {
    const i = part.indexOf("=");
    out[part.slice(0, i)] = JSON.parse(part.slice(i + 1)) as string;
  }
  return out;
}

/** An alert_rule_test of `alert` at `t`: firing with `labels` (and the SLO's annotations), or silent. */
function alertAt(
  files: RenderedFile[],
  slo: Slo,
  alert: string,
  labels: Record<string, string>,
  t: string,
  fires: boolean,
): AlertRuleTest {
  return {
    eval_time: t,
    alertname: alert,
    exp_alerts: fires ? [expAlert(files, alert, labels, { slo: slo.name })] : [],
  };
}

/**
 * Low traffic (1 request a minute) against the page's minimum-events guard (DEFAULT_RULE_OPTIONS
 * .pageMinEvents = 10): `k` failures in the last `k` minutes are over the 1h/5m page threshold but only
 * ~5 events are in the 5m window, so no page; with every request failing, the 6h/30m pair pages once
 * its 30m window holds 10 events. Both cases page without the guard (the test proves it).
 */
export function lowTrafficCases(slo: Slo, files: RenderedFile[]): PromtoolTest[] {
  const budget = 1 - slo.objective;
  const [fastPair, slowPair] = BURN_POLICIES.find((p) => p.kind === "page")!.windows;
  const page = (t: string, fires: boolean) =>
    alertAt(files, slo, SLO_ALERTS.page, { slo: slo.name }, t, fires);
  const tests: PromtoolTest[] = [
    {
      name: `${slo.name}: low traffic, every request failing: no page while under 10 events, then the 6h/30m pair pages`,
      interval: "1m",
      input_series: sliSeries(slo, [[0, 40]], [[1, 40]]),
      alert_rule_test: [page("8m", false), page("20m", true)],
    },
  ];
  // Fewest failures (in a row, at the end of the last hour) over the 1h page threshold; the case exists
  // only when they stay under the 6h pair's threshold, else paging on them is right.
  const k = Math.floor(fastPair.longMinutes * burnFactor(slo.periodDays, fastPair) * budget) + 1;
  const T = 400;
  if (k / slowPair.longMinutes <= burnFactor(slo.periodDays, slowPair) * budget && k <= 30)
    tests.push({
      name: `${slo.name}: low traffic: ${k} failure(s) in the last ${k} minute(s) cross the 1h/5m threshold but do not page`,
      interval: "1m",
      input_series: sliSeries(
        slo,
        [
          [1, T - k],
          [0, k - 1],
        ],
        [
          [0, T - k],
          [1, k - 1],
        ],
      ),
      alert_rule_test: [page(`${T}m`, false)],
    });
  return tests;
}

export function sloCases(slo: Slo, files: RenderedFile[]): { tests: PromtoolTest[]; coverage: Coverage[] } {
  const budget = 1 - slo.objective;
  const share = (s: number) => Math.round(s * PER_MINUTE);
  const fast = share(Math.min(0.5, 50 * budget));
  const slow = share(2 * budget);
  const healthy = share(budget / 2);
  const sloLabel = { slo: slo.name };
  const page = (t: string, fires: boolean) => alertAt(files, slo, SLO_ALERTS.page, sloLabel, t, fires);
  const ticket = (t: string, fires: boolean) => alertAt(files, slo, SLO_ALERTS.ticket, sloLabel, t, fires);
  const absent = (t: string, fires: boolean) =>
    alertAt(files, slo, SLO_ALERTS.absent, absentLabels(slo), t, fires);
  const rec = (name: string) => `${name}{slo="${slo.name}"}`;

  const tests: PromtoolTest[] = [
    {
      name: `${slo.name}: fast burn pages and tickets, then both clear after the errors stop`,
      interval: "1m",
      input_series: sliSeries(
        slo,
        [
          [PER_MINUTE - fast, 60],
          [PER_MINUTE, MINUTES - 60],
        ],
        [
          [fast, 60],
          [0, MINUTES - 60],
        ],
      ),
      // Page clears once both short windows (5m, 30m) are free of errors (~87 min); the ticket once the
      // 6h short window is (~421 min).
      alert_rule_test: [page("30m", true), ticket("30m", true), page("95m", false), ticket("430m", false)],
    },
    {
      name: `${slo.name}: slow burn (2× budget) opens a ticket but does not page`,
      interval: "1m",
      input_series: sliSeries(slo, [[PER_MINUTE - slow, MINUTES]], [[slow, MINUTES]]),
      alert_rule_test: [ticket("420m", true), page("420m", false)],
    },
    {
      name: `${slo.name}: healthy traffic (half the budget) stays silent`,
      interval: "1m",
      input_series: sliSeries(slo, [[PER_MINUTE - healthy, MINUTES]], [[healthy, MINUTES]]),
      alert_rule_test: [
        page("30m", false),
        ticket("30m", false),
        page("420m", false),
        ticket("420m", false),
        absent("30m", false),
      ],
    },
    {
      name: `${slo.name}: traffic without any error series records a 0 error ratio`,
      interval: "1m",
      input_series: sliSeries(slo, [[PER_MINUTE, 120]], undefined),
      alert_rule_test: [page("90m", false), ticket("90m", false)],
      promql_expr_test: [
        {
          expr: rec(errorRatioRecord(5)),
          eval_time: "90m",
          exp_samples: [{ labels: rec(errorRatioRecord(5)), value: 0 }],
        },
      ],
    },
    {
      name: `${slo.name}: zero traffic records 0 (no NaN/Inf), a full budget and no alert`,
      interval: "1m",
      input_series: sliSeries(slo, [[0, 180]], [[0, 180]]),
      alert_rule_test: [page("120m", false), ticket("120m", false), absent("120m", false)],
      promql_expr_test: [
        ...requiredWindows().map((m) => ({
          expr: rec(errorRatioRecord(m)),
          eval_time: "120m",
          exp_samples: [{ labels: rec(errorRatioRecord(m)), value: 0 }],
        })),
        {
          expr: rec(REQUESTS_RECORD),
          eval_time: "120m",
          exp_samples: [{ labels: rec(REQUESTS_RECORD), value: 0 }],
        },
        {
          expr: rec(REMAINING_RECORD),
          eval_time: "120m",
          exp_samples: [{ labels: rec(REMAINING_RECORD), value: 1 }],
        },
      ],
    },
    {
      name: `${slo.name}: a missing SLI metric raises SLOSLIAbsent and nothing else`,
      interval: "1m",
      input_series: [{ series: 'up{job="unrelated",instance="x:1"}', values: "1x30" }],
      alert_rule_test: [absent("5m", false), absent("15m", true), page("15m", false), ticket("15m", false)],
    },
    ...lowTrafficCases(slo, files),
  ];
  const key = (a: string) => `${a}/${slo.name}`;
  const coverage: Coverage[] = [];
  for (const t of tests)
    for (const a of t.alert_rule_test ?? [])
      coverage.push({ key: key(a.alertname), fires: a.exp_alerts.length > 0 });
  return { tests, coverage };
}
