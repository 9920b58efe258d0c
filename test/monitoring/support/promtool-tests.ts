// The promtool unit-test file model (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/)
// and helpers to build its parts from the rendered rules, so expected annotations are the shipped ones.
import YAML from "yaml";
import type { RenderedFile } from "../../../monitoring";

export interface InputSeries {
  series: string;
  values: string;
}
export interface ExpAlert {
  exp_labels: Record<string, string>;
  exp_annotations: Record<string, string>;
}
export interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: ExpAlert[];
}
export interface PromqlExprTest {
  expr: string;
  eval_time: string;
  exp_samples: { labels: string; value: number }[];
}
export interface PromtoolTest {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: AlertRuleTest[];
  promql_expr_test?: PromqlExprTest[];
}

/** What a case proves for one alert rule (alertname plus its `slo` label, if any). */
export interface Coverage {
  key: string;
  fires: boolean;
}

export function seriesName(metric: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${metric}{${parts.join(",")}}`;
}

/**
 * promtool value notation for a counter growing by `perMinute[i]` for `minutes[i]` steps per segment
 * (one sample per minute), starting at `start`.
 */
export function counterValues(start: number, segments: [perMinute: number, minutes: number][]): string {
  let v = start;
  const out: string[] = [];
  segments.forEach(([inc, n], i) => {
    if (i > 0) v += inc;
    out.push(`${v}+${inc}x${n}`);
    v += inc * n;
  });
  return out.join(" ");
}

interface AlertRuleYaml {
  alert?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Finds an alerting rule in the rendered files by name (and `slo` label when given). */
export function findAlertRule(files: RenderedFile[], alert: string, slo?: string): AlertRuleYaml {
  for (const f of files) {
    const doc = YAML.parse(f.content) as { groups: { rules: AlertRuleYaml[] }[] };
    for (const g of doc.groups)
      for (const r of g.rules)
        if (r.alert === alert && (slo === undefined || r.labels?.slo === slo)) return r;
  }
  throw new Error(`no alert rule ${alert}${slo ? ` for slo ${slo}` : ""} in the rendered files`);
}

/**
 * The annotations Prometheus will send for `labels`: `{{ $labels.x }}` filled from the labels, and any
 * `{{ $value … }}` replaced by `valueText` (the case states the formatted value it expects).
 */
export function expandAnnotations(
  annotations: Record<string, string>,
  labels: Record<string, string>,
  valueText?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    out[k] = v
      .replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_m, name: string) => labels[name] ?? "")
      .replace(/\{\{\s*\$value[^}]*\}\}/g, () => {
        if (valueText === undefined)
          throw new Error(`annotation ${k} uses $value; the case must give valueText`);
        return valueText;
      });
  }
  return out;
}

/** An expected firing alert: labels = series labels + rule labels; annotations expanded from the rule. */
export function expAlert(
  files: RenderedFile[],
  alert: string,
  seriesLabels: Record<string, string>,
  opts: { slo?: string; valueText?: string } = {},
): ExpAlert {
  const rule = findAlertRule(files, alert, opts.slo);
  const labels = { ...seriesLabels, ...(rule.labels ?? {}) };
  return {
    exp_labels: labels,
    exp_annotations: expandAnnotations(rule.annotations ?? {}, labels, opts.valueText),
  };
}
