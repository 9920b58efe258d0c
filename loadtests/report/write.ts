// Writes a run's report: reports/<timestamp>/{summary.json, summary.md, index.html, logs/…} and refreshes
// reports/index.html (every past run with trends). Rendering is pure (renderMarkdown/renderHtml/
// renderIndex take data, return strings); only writeReport and refreshIndex touch the filesystem.
import fs from "node:fs";
import path from "node:path";
import type { CheckResult } from "../e2e/check";
import { GROUP_TITLES } from "../e2e/check";
import type { ProfileResult } from "../profiles";
import { barChart, escapeXml, lineChart, Series } from "../../tooling/report/charts";
import {
  causeCharts,
  n,
  mdTableToHtml,
  renderResourceTable,
  renderTail,
} from "../../tooling/report/sections";

export interface LogFile {
  name: string;
  /** Path relative to the run directory. */
  file: string;
  bytes: number;
}

export interface RunReport {
  id: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  stack: { name: string; target: string; gatewayUrl: string };
  e2e?: CheckResult[];
  profiles: ProfileResult[];
  passed: boolean;
  /** One line per failed check or gate. */
  failures: string[];
  logs: LogFile[];
  notes: string[];
}

/** Directory-safe timestamp id, e.g. 2026-11-27T12-30-05Z. */
export function runId(d = new Date()): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}

/** Every failure of a run as a readable line (checks, then gates). */
export function collectFailures(e2e: CheckResult[] | undefined, profiles: ProfileResult[]): string[] {
  const out: string[] = [];
  for (const r of e2e ?? []) if (!r.passed) out.push(`e2e ${r.id}: ${r.error}`);
  for (const p of profiles)
    for (const g of p.gates) if (!g.passed) out.push(`gate ${p.name}.${g.metric}: ${g.detail}`);
  return out;
}

export function renderMarkdown(r: RunReport): string {
  const L: string[] = [];
  L.push(`# Validation run ${r.id}: ${r.passed ? "PASSED" : "FAILED"}`, "");
  L.push(`- command: \`${r.command}\``);
  L.push(`- stack: ${r.stack.name} (${r.stack.target}) at ${r.stack.gatewayUrl}`);
  L.push(`- from ${r.startedAt} to ${r.finishedAt}`, "");
  if (r.failures.length) {
    L.push("## Failures", "", ...r.failures.map((f) => `- ${f}`), "");
  }
  if (r.e2e) {
    const passed = r.e2e.filter((c) => c.passed).length;
    L.push(`## End-to-end checks: ${passed}/${r.e2e.length} passed`, "");
    L.push("| group | check | result | ms |", "|---|---|---|---|");
    for (const c of r.e2e) {
      L.push(
        `| ${GROUP_TITLES[c.group]} | ${c.id}: ${c.title}${c.notes?.length ? ` (${c.notes.join("; ").replace(/\|/g, "/")})` : ""} | ${c.passed ? "pass" : `FAIL: ${(c.error ?? "").replace(/\|/g, "\\|").slice(0, 300)}`} | ${c.durationMs} |`,
      );
    }
    L.push("");
  }
  for (const p of r.profiles) {
    const v = p.values;
    L.push(`## Profile ${p.name} (${p.tool}): ${p.passed ? "passed" : "FAILED"}`, "");
    L.push(
      `settings: ${JSON.stringify(Object.fromEntries(Object.entries(p.settings).filter(([, x]) => x !== undefined)))}`,
      "",
    );
    L.push("| metric | value |", "|---|---|");
    L.push(`| requests | ${n(v.requests, 0)} |`);
    L.push(`| throughput (req/s) | ${n(v.throughput_rps)} |`);
    L.push(
      `| latency p50 / p95 / p99 / max (ms${p.tool === "open-model" ? ", from intended send time" : ""}) | ${n(v.p50_ms, 2)} / ${n(v.p95_ms ?? v.p90_ms, 2)} / ${n(v.p99_ms, 2)} / ${n(v.max_ms, 2)} |`,
    );
    if (p.tool === "open-model") {
      L.push(
        `| uncorrected p50 / p99 (ms, from actual send) | ${n(v.p50_uncorrected_ms, 2)} / ${n(v.p99_uncorrected_ms, 2)} |`,
      );
      L.push(`| ok / fail / unknown | ${n(v.ok, 0)} / ${n(v.fail, 0)} / ${n(v.unknown, 0)} |`);
      L.push(
        `| late / dropped sends (max behind plan ms) | ${n(v.late, 0)} / ${n(v.dropped, 0)} (${n(v.max_late_ms)}) |`,
      );
    }
    L.push(
      `| success rate | ${v.success_rate !== null && v.success_rate !== undefined ? (v.success_rate * 100).toFixed(3) + " %" : "–"} |`,
    );
    L.push(`| HTTP 2xx / 4xx / 5xx | ${n(v.http_2xx, 0)} / ${n(v.http_4xx, 0)} / ${n(v.http_5xx, 0)} |`);
    if (p.name === "errors")
      L.push(`| expected 4xx / unexpected 4xx | ${n(v.expected_4xx, 0)} / ${n(v.unexpected_4xx, 0)} |`);
    L.push(
      `| p99 first / last window (ms), drift | ${n(v.p99_first_ms, 2)} / ${n(v.p99_last_ms, 2)}, ×${n(v.p99_drift_ratio, 2)} |`,
    );
    L.push(
      `| memory slope max (MiB/h), growth after warm-up (MiB) | ${n(v.mem_slope_mib_per_hour)} , ${n(v.mem_growth_mib)} |`,
    );
    if (p.baseline && p.ratios) {
      L.push(
        `| same-run baseline (bare node:http echo, ${p.baseline.tool}) | ${n(p.baseline.throughput)} req/s, p99 ${n(p.baseline.p99_ms, 2)} ms |`,
      );
      L.push(
        `| ratio to baseline: throughput / p99 | ×${n(p.ratios.throughput, 3)} / ×${n(p.ratios.p99, 2)} |`,
      );
    }
    if (p.wrk) {
      L.push(
        `| wrk cross-check: req/s, p50, p99 (ms) | ${n(p.wrk.requestsPerSec)}, ${n(p.wrk.latencyMs.p50, 2)}, ${n(p.wrk.latencyMs.p99, 2)} |`,
      );
      L.push(
        `| autocannon vs wrk: throughput / p50 / p99 | ${n(p.wrk.diff.throughput_pct)} % / ${n(p.wrk.diff.p50_pct)} % / ${n(p.wrk.diff.p99_pct)} % |`,
      );
    }
    L.push("", "| gate | result |", "|---|---|");
    for (const g of p.gates)
      L.push(
        `| ${g.metric} ${g.op} ${g.threshold}${g.unit ? " " + g.unit : ""} | ${g.passed ? "pass" : "FAIL"}: ${g.detail} |`,
      );
    L.push("", ...renderResourceTable(p.resources));
    L.push("", ...renderTail(p.tail));
    for (const note of p.notes) L.push("", `note: ${note}`);
    L.push("");
  }
  if (r.logs.length) {
    L.push(
      "## Logs of the run window",
      "",
      ...r.logs.map((l) => `- [${l.name}](${l.file}) (${l.bytes} bytes)`),
      "",
    );
  }
  for (const note of r.notes) L.push(`note: ${note}`);
  return L.join("\n") + "\n";
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#111827}
h1 .ok{color:#15803d}h1 .bad{color:#b91c1c}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #e5e7eb;padding:4px 8px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f9fafb}.pass{color:#15803d}.fail{color:#b91c1c;font-weight:600}.charts svg{margin:6px 0;border:1px solid #f3f4f6}
code{background:#f3f4f6;padding:1px 4px}`;

function profileCharts(p: ProfileResult): string[] {
  const sec = (w: { tMs: number }) => w.tMs / 1000;
  const win = p.windows;
  const lat: Series[] = [
    { name: "p50", points: win.map((w) => [sec(w), w.p50Us / 1000] as const) },
    { name: "p95", points: win.map((w) => [sec(w), w.p95Us / 1000] as const) },
    { name: "p99", points: win.map((w) => [sec(w), w.p99Us / 1000] as const) },
  ];
  const winS = win.length > 1 ? (win[1].tMs - win[0].tMs) / 1000 : 1;
  const p99Gate = p.gates.find((g) => g.metric === "p99_ms");
  // Every chart of the profile covers the same seconds, so a p99 spike and its cause line up.
  const xDomain = [0, p.durationS] as const;
  const charts = [
    lineChart({
      title: `${p.name}: latency percentiles per window (ms)`,
      series: lat,
      xLabel: "seconds",
      xDomain,
      yLabel: "ms",
      thresholds: p99Gate ? [{ y: p99Gate.threshold, label: `p99 gate ${p99Gate.threshold} ms` }] : [],
    }),
    lineChart({
      title: `${p.name}: throughput (completed req/s)`,
      series: [{ name: "req/s", points: win.map((w) => [sec(w), w.count / winS] as const), area: true }],
      xLabel: "seconds",
      xDomain,
      ...(p.values.target_rps
        ? { thresholds: [{ y: p.values.target_rps, label: "target rate", color: "#6b7280" }] }
        : {}),
    }),
    lineChart({
      title: `${p.name}: errors per window`,
      series: [
        { name: "4xx", points: win.map((w) => [sec(w), w.s4xx] as const), color: "#d97706" },
        { name: "5xx", points: win.map((w) => [sec(w), w.s5xx] as const), color: "#dc2626" },
        { name: "unknown", points: win.map((w) => [sec(w), w.unknown] as const), color: "#7c3aed" },
      ],
      xLabel: "seconds",
      xDomain,
    }),
    lineChart({
      title: `${p.name}: memory (RSS MiB, ${p.resourceSource})`,
      series: p.resources.map((x) => ({ name: x.instance, points: x.rssSeries })),
      xLabel: "seconds",
      xDomain,
      yZero: false,
    }),
    lineChart({
      title: `${p.name}: CPU %`,
      series: p.resources.map((x) => ({ name: x.instance, points: x.cpuSeries })),
      xLabel: "seconds",
      xDomain,
    }),
    ...causeCharts(p.resources, `${p.name}: `, { xLabel: "seconds", xDomain }),
  ];
  if (p.baseline && p.ratios) {
    charts.push(
      barChart({
        title: `${p.name}: target vs same-run baseline`,
        bars: [
          { label: "target req/s", value: p.values.throughput_rps ?? NaN },
          { label: "baseline req/s", value: p.baseline.throughput, color: "#9ca3af" },
          { label: "target p99 ms", value: p.values.p99_ms ?? NaN, color: "#dc2626" },
          { label: "baseline p99 ms", value: p.baseline.p99_ms, color: "#fca5a5" },
        ],
      }),
    );
  }
  return charts;
}

export function renderHtml(r: RunReport): string {
  const md = renderMarkdown(r);
  const sections = md.split(/\n(?=## )/);
  const body: string[] = [];
  for (const s of sections) {
    body.push(mdTableToHtml(s));
    const m = /^## Profile (\S+)/.exec(s);
    const p = m && r.profiles.find((x) => x.name === m[1]);
    if (p) body.push(`<div class="charts">${profileCharts(p).join("\n")}</div>`);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Validation ${escapeXml(r.id)}</title><style>${CSS}</style></head><body>
<h1>Validation run ${escapeXml(r.id)}: <span class="${r.passed ? "ok" : "bad"}">${r.passed ? "PASSED" : "FAILED"}</span></h1>
<p><a href="../index.html">all runs</a> · <a href="summary.json">summary.json</a> · <a href="summary.md">summary.md</a></p>
${body.join("\n")}
</body></html>
`;
}

export interface IndexEntry {
  id: string;
  command: string;
  passed: boolean;
  startedAt: string;
  e2e?: { passed: number; total: number };
  profiles: Record<
    string,
    {
      p99_ms: number | null;
      throughput_rps: number | null;
      passed: boolean;
      throughput_vs_baseline: number | null;
    }
  >;
}

export function indexEntry(r: RunReport): IndexEntry {
  return {
    id: r.id,
    command: r.command,
    passed: r.passed,
    startedAt: r.startedAt,
    e2e: r.e2e ? { passed: r.e2e.filter((c) => c.passed).length, total: r.e2e.length } : undefined,
    profiles: Object.fromEntries(
      r.profiles.map((p) => [
        p.name,
        {
          p99_ms: p.values.p99_ms ?? null,
          throughput_rps: p.values.throughput_rps ?? null,
          passed: p.passed,
          throughput_vs_baseline: p.values.throughput_vs_baseline ?? null,
        },
      ]),
    ),
  };
}

/**
 * A run of a command that runs several phases (`npm run prove`: up, E2E, load, chaos, soak, destroy),
 * read from its summary.json (`kind` names the command) when it sits beside the validation runs.
 */
export interface PhasedRunEntry {
  kind: string;
  id: string;
  command: string;
  passed: boolean;
  startedAt: string;
  stack?: string;
  exitCode?: number;
  phases: { name: string; status: string; durationS?: number }[];
}

/** The index entry of a phased run's summary.json, or undefined when it is not one. */
export function phasedRunEntry(raw: unknown): PhasedRunEntry | undefined {
  const r = raw as Partial<PhasedRunEntry> | null;
  if (!r || typeof r.kind !== "string" || !Array.isArray(r.phases) || typeof r.id !== "string")
    return undefined;
  return {
    kind: r.kind,
    id: r.id,
    command: String(r.command ?? ""),
    passed: r.passed === true,
    startedAt: String(r.startedAt ?? ""),
    stack: r.stack,
    exitCode: r.exitCode,
    phases: r.phases.map((p) => ({ name: p.name, status: p.status, durationS: p.durationS })),
  };
}

function phasedRows(runs: PhasedRunEntry[]): string {
  return [...runs]
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .map(
      (e) =>
        `<tr><td><a href="${escapeXml(e.id)}/index.html">${escapeXml(e.id)}</a></td><td><code>${escapeXml(e.command)}</code></td><td class="${e.passed ? "pass" : "fail"}">${e.passed ? "passed" : "FAILED"}${e.exitCode === undefined ? "" : ` (exit ${e.exitCode})`}</td><td>${e.phases
          .map(
            (p) =>
              `<span class="${p.status === "passed" ? "pass" : p.status === "skipped" ? "" : "fail"}">${escapeXml(p.name)}: ${escapeXml(p.status)}${p.durationS === undefined ? "" : ` (${n(p.durationS, 0)} s)`}</span>`,
          )
          .join("<br>")}</td></tr>`,
    )
    .join("\n");
}

/**
 * reports/index.html: every validation run (newest first) and trend charts per profile across runs; above
 * them, the phased runs (`npm run prove`) when there are any.
 */
export function renderIndex(entries: IndexEntry[], phased: PhasedRunEntry[] = []): string {
  const sorted = [...entries].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const names = [...new Set(sorted.flatMap((e) => Object.keys(e.profiles)))];
  const x = (i: number) => i + 1;
  const trend = (metric: "p99_ms" | "throughput_rps" | "throughput_vs_baseline", title: string) =>
    lineChart({
      title,
      xLabel: "run #",
      series: names.map((nm) => ({
        name: nm,
        points: sorted.map((e, i) => [x(i), e.profiles[nm]?.[metric] ?? NaN] as const),
      })),
    });
  const rows = [...sorted]
    .reverse()
    .map(
      (e) =>
        `<tr><td><a href="${escapeXml(e.id)}/index.html">${escapeXml(e.id)}</a></td><td><code>${escapeXml(e.command)}</code></td><td class="${e.passed ? "pass" : "fail"}">${e.passed ? "passed" : "FAILED"}</td><td>${e.e2e ? `${e.e2e.passed}/${e.e2e.total}` : "–"}</td><td>${Object.entries(
          e.profiles,
        )
          .map(
            ([k, v]) =>
              `${escapeXml(k)}: ${n(v.throughput_rps)} req/s, p99 ${n(v.p99_ms, 1)} ms${v.passed ? "" : " (FAILED)"}`,
          )
          .join("<br>")}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Validation runs</title><style>${CSS}</style></head><body>
${
  phased.length
    ? `<h1>Prove runs (${phased.length})</h1>
<table><tr><th>run</th><th>command</th><th>result</th><th>phases</th></tr>
${phasedRows(phased)}
</table>
`
    : ""
}<h1>Validation runs (${entries.length})</h1>
<div class="charts">${names.length ? [trend("p99_ms", "p99 latency per run (ms)"), trend("throughput_rps", "throughput per run (req/s)"), trend("throughput_vs_baseline", "throughput ÷ same-run baseline")].join("\n") : ""}</div>
<table><tr><th>run</th><th>command</th><th>result</th><th>E2E</th><th>profiles</th></tr>
${rows}
</table></body></html>
`;
}

/** Writes the run directory's summary files; returns the directory. */
export function writeReport(reportsDir: string, r: RunReport): string {
  const dir = path.join(reportsDir, r.id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(r, null, 2));
  fs.writeFileSync(path.join(dir, "summary.md"), renderMarkdown(r));
  fs.writeFileSync(path.join(dir, "index.html"), renderHtml(r));
  refreshIndex(reportsDir);
  return dir;
}

/** Rebuilds reports/index.html from every reports/<id>/summary.json (validation and phased runs). */
export function refreshIndex(reportsDir: string): void {
  const entries: IndexEntry[] = [];
  const phased: PhasedRunEntry[] = [];
  for (const d of fs.existsSync(reportsDir) ? fs.readdirSync(reportsDir) : []) {
    const f = path.join(reportsDir, d, "summary.json");
    if (!fs.existsSync(f)) continue;
    try {
      const raw = JSON.parse(fs.readFileSync(f, "utf8")) as unknown;
      const run = phasedRunEntry(raw);
      if (run) phased.push(run);
      else entries.push(indexEntry(raw as RunReport));
    } catch {
      // a half-written or foreign summary is not a reason to lose the index
    }
  }
  fs.writeFileSync(path.join(reportsDir, "index.html"), renderIndex(entries, phased));
}
