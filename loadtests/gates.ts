// Gates: thresholds declared per profile that decide whether a run passes. Evaluation is pure; the CLI
// exits non-zero when any gate fails and prints which one and by how much.

export interface Gate {
  /** Metric key in the profile's measured values, e.g. "p99_ms", "success_rate", "http_5xx". */
  metric: string;
  op: "<=" | ">=" | "==";
  threshold: number;
  unit?: string;
  /** Why the gate exists (shown in reports). */
  why?: string;
}

export interface GateResult extends Gate {
  actual: number | null;
  passed: boolean;
  /** Human-readable margin, e.g. "p99_ms 412 > 250 by 162 ms (+64.8%)". */
  detail: string;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toPrecision(4);
}

export function evaluateGate(g: Gate, values: Record<string, number | null | undefined>): GateResult {
  const raw = values[g.metric];
  const actual = raw === undefined || raw === null || Number.isNaN(raw) ? null : raw;
  const unit = g.unit ? ` ${g.unit}` : "";
  if (actual === null) {
    return {
      ...g,
      actual,
      passed: false,
      detail: `${g.metric} was not measured (gate ${g.op} ${fmt(g.threshold)}${unit})`,
    };
  }
  const passed =
    g.op === "<=" ? actual <= g.threshold : g.op === ">=" ? actual >= g.threshold : actual === g.threshold;
  const diff = actual - g.threshold;
  const pct =
    g.threshold !== 0
      ? ` (${diff >= 0 ? "+" : ""}${((diff / Math.abs(g.threshold)) * 100).toFixed(1)}%)`
      : "";
  const detail = passed
    ? `${g.metric} ${fmt(actual)}${unit} ${g.op} ${fmt(g.threshold)}${unit}`
    : `${g.metric} ${fmt(actual)}${unit} violates ${g.op} ${fmt(g.threshold)}${unit} by ${fmt(Math.abs(diff))}${unit}${pct}`;
  return { ...g, actual, passed, detail };
}

export function evaluateGates(
  gates: Gate[],
  values: Record<string, number | null | undefined>,
): GateResult[] {
  return gates.map((g) => evaluateGate(g, values));
}
