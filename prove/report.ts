// The report of one `npm run prove` run: reports/<run>/{summary.json, summary.md, index.html}. A verdict
// table first (every phase with its gates, result and duration), then what failed, then one section per
// phase linking (and, in the HTML, embedding) the report that phase's own module wrote (validation
// reports, the chaos report), the engine's resource steps with timings and the logs bundle. Rendering is
// pure; writeProveReport touches the filesystem. The exit code is decided here too (proveExitCode).
import fs from "node:fs";
import path from "node:path";
import type { ResourceTiming } from "../scripts/engine";
import { signalExitCode } from "../scripts/interrupt";
import type { StackObjects } from "../scripts/stack-objects";
import { escapeXml } from "../tooling/report/charts";
import { LogFile, refreshIndex } from "../loadtests/report/write";
import { mdTableToHtml } from "../tooling/report/sections";

export type PhaseKind = "up" | "cluster" | "e2e" | "load" | "chaos" | "soak" | "destroy";
export type PhaseStatus = "passed" | "failed" | "interrupted" | "skipped";

export interface GateOutcome {
  /** What is required, e.g. "p99_ms <= 500 ms" or "every E2E check passes". */
  name: string;
  passed: boolean;
  /** What was measured. */
  detail: string;
}

export interface PhaseResult {
  /** "up", "e2e", "load rate", "chaos ci", "soak", "destroy". */
  name: string;
  kind: PhaseKind;
  status: PhaseStatus;
  startedAt?: string;
  durationS?: number;
  gates: GateOutcome[];
  /** The phase's own report (index.html), relative to the run folder. */
  report?: string;
  /** An exception, or why the phase was skipped or interrupted. */
  error?: string;
  notes: string[];
}

export interface ProveResult {
  kind: "prove";
  id: string;
  command: string;
  stack: string;
  backend: string;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  exitCode: number;
  /** The signal that stopped the run, if one did. */
  interrupted?: NodeJS.Signals;
  phases: PhaseResult[];
  /** One line per failed gate or failed phase, in phase order. */
  failures: string[];
  /** The engine's resource steps: start and end from its events, per URN. */
  resources: { up: ResourceTiming[]; destroy: ResourceTiming[]; unfinished: string[] };
  /** The containers' logs for the run window (loadtests/report/logs.ts), relative to the run folder. */
  logs: LogFile[];
  /** Objects labelled with the stack that remained after destroy. */
  leftovers?: StackObjects;
  /** With --keep: the stack stays; how it expires and how to destroy it. */
  kept?: { expiresAt?: string; destroyCommand: string };
  notes: string[];
}

/**
 * 0: every gate passed and the teardown was clean; 1: a gate or the teardown failed; 2: `up` failed
 * (its partial resources are still destroyed); 128+signal (130 for Ctrl-C, 143 for SIGTERM): interrupted
 * and the teardown was clean (1 when it was not). Usage errors and an unreachable engine exit 2 before
 * any result exists.
 */
export function proveExitCode(r: Pick<ProveResult, "phases" | "interrupted">): number {
  const teardownFailed = r.phases.some((p) => p.kind === "destroy" && p.status === "failed");
  if (r.interrupted) return teardownFailed ? 1 : signalExitCode(r.interrupted);
  if (r.phases.some((p) => p.kind === "up" && p.status === "failed")) return 2;
  if (teardownFailed || r.phases.some((p) => p.status === "failed" || p.status === "interrupted")) return 1;
  return 0;
}

/** Every failed gate and failed or interrupted phase as a readable line, in phase order. */
export function collectProveFailures(phases: PhaseResult[]): string[] {
  const out: string[] = [];
  for (const p of phases) {
    if (p.status !== "failed" && p.status !== "interrupted") continue;
    if (p.error) out.push(`${p.name}: ${p.error}`);
    for (const g of p.gates) if (!g.passed) out.push(`${p.name}: ${g.name}: ${g.detail}`);
  }
  return out;
}

function secs(s: number | undefined): string {
  if (s === undefined) return "–";
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m} min ${Math.round(s - m * 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

const STATUS: Record<PhaseStatus, string> = {
  passed: "pass",
  failed: "FAIL",
  interrupted: "FAIL (interrupted)",
  skipped: "skipped",
};

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function verdict(r: ProveResult): string {
  if (r.interrupted) return `INTERRUPTED (${r.interrupted})`;
  return r.passed ? "PASSED" : "FAILED";
}

/** Markdown lines of the verdict table: one row per phase. */
export function verdictTable(phases: PhaseResult[]): string[] {
  const L = ["| phase | gates | result | duration |", "|---|---|---|---|"];
  for (const p of phases) {
    const gates = p.gates.length ? p.gates.map((g) => g.name).join("; ") : (p.error ?? "–");
    L.push(`| ${cell(p.name)} | ${cell(gates)} | ${STATUS[p.status]} | ${secs(p.durationS)} |`);
  }
  return L;
}

function timingRows(rows: ResourceTiming[]): string[] {
  const L = ["| resource | step | start s | duration s |", "|---|---|---|---|"];
  for (const t of [...rows].sort((a, b) => a.startReceivedS - b.startReceivedS))
    L.push(
      `| ${cell(t.resource)} | ${t.op} | ${t.startReceivedS.toFixed(1)} | ${t.durationReceivedS.toFixed(1)} |`,
    );
  return L;
}

/** The heading of a phase's section (an anchor target of the HTML verdict table). */
export function phaseHeading(p: PhaseResult): string {
  return `Phase ${p.name}: ${p.status}`;
}

export function renderProveMarkdown(r: ProveResult): string {
  const L: string[] = [];
  L.push(`# Prove run ${r.id}: ${verdict(r)} (exit ${r.exitCode})`, "");
  L.push(`- command: \`${r.command}\``);
  L.push(`- stack: ${r.stack} (backend ${r.backend})`);
  L.push(`- from ${r.startedAt} to ${r.finishedAt}`);
  if (r.kept) {
    L.push(
      `- stack kept (--keep)${r.kept.expiresAt ? `, expires at ${r.kept.expiresAt} (npm run reap destroys it then)` : ""}; destroy it with \`${r.kept.destroyCommand}\``,
    );
  }
  L.push("", "## Verdict", "", ...verdictTable(r.phases), "");
  if (r.failures.length) L.push("## Failures", "", ...r.failures.map((f) => `- ${f}`), "");
  for (const p of r.phases) {
    L.push(`## ${phaseHeading(p)}`, "");
    if (p.startedAt) L.push(`started ${p.startedAt}, took ${secs(p.durationS)}`, "");
    if (p.error) L.push(`${p.status === "skipped" ? "skipped" : "error"}: ${p.error}`, "");
    if (p.report) L.push(`- [${p.name} report](${p.report}) (written by the phase's own module)`, "");
    if (p.gates.length) {
      // Failed gates first: the reason a phase failed is the first thing in its section.
      const gates = [...p.gates].sort((a, b) => Number(a.passed) - Number(b.passed));
      L.push("| gate | result |", "|---|---|");
      for (const g of gates) L.push(`| ${cell(g.name)} | ${g.passed ? "pass" : "FAIL"}: ${cell(g.detail)} |`);
      L.push("");
    }
    for (const n of p.notes) L.push(`note: ${n}`, "");
  }
  L.push(`## Engine resources: up (${r.resources.up.length} steps)`, "");
  if (r.resources.up.length) L.push(...timingRows(r.resources.up), "");
  if (r.resources.unfinished.length)
    L.push(`steps started but not finished: ${r.resources.unfinished.join(", ")}`, "");
  L.push(`## Engine resources: destroy (${r.resources.destroy.length} steps)`, "");
  if (r.resources.destroy.length) L.push(...timingRows(r.resources.destroy), "");
  const ns = r.leftovers?.namespace;
  if (ns) {
    L.push(
      ns.exists
        ? `namespace ${ns.name} still exists after destroy${ns.objects.length ? `, holding ${ns.objects.join(", ")}` : ""}`
        : `namespace ${ns.name} gone after destroy (Kubernetes API)`,
      "",
    );
  } else if (r.leftovers) {
    const left = [...r.leftovers.containers, ...r.leftovers.networks, ...r.leftovers.volumes];
    L.push(
      left.length
        ? `left after destroy (proving-ground.stack=${r.stack}): ${left.join(", ")}`
        : `nothing labelled proving-ground.stack=${r.stack} left after destroy`,
      "",
    );
  }
  if (r.logs.length) {
    L.push(
      "## Logs of the run window",
      "",
      ...r.logs.map((l) => `- [${l.name}](${l.file}) (${l.bytes} bytes)`),
    );
    L.push("");
  }
  for (const n of r.notes) L.push(`note: ${n}`);
  return L.join("\n") + "\n";
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#111827}
h1 .ok{color:#15803d}h1 .bad{color:#b91c1c}table{border-collapse:collapse;margin:8px 0 16px}
td,th{border:1px solid #e5e7eb;padding:4px 8px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f9fafb}.pass{color:#15803d}.fail{color:#b91c1c;font-weight:600}
iframe{width:100%;height:640px;border:1px solid #e5e7eb}code{background:#f3f4f6;padding:1px 4px}`;

const anchor = (p: PhaseResult) => `phase-${p.name.replace(/[^\w-]+/g, "-")}`;

export function renderProveHtml(r: ProveResult): string {
  const md = renderProveMarkdown(r);
  // The verdict table is drawn here (its phase names link to the sections); the rest is the Markdown.
  const sections = md.split(/\n(?=## )/).filter((s) => !s.startsWith("## Verdict") && !s.startsWith("# "));
  const rows = r.phases
    .map((p) => {
      const cls = p.status === "passed" ? "pass" : p.status === "skipped" ? "" : "fail";
      const gates = p.gates.length
        ? p.gates
            .map((g) => `<span class="${g.passed ? "pass" : "fail"}">${escapeXml(g.name)}</span>`)
            .join("<br>")
        : escapeXml(p.error ?? "–");
      return `<tr><td><a href="#${anchor(p)}">${escapeXml(p.name)}</a></td><td>${gates}</td><td class="${cls}">${STATUS[p.status]}</td><td>${secs(p.durationS)}</td></tr>`;
    })
    .join("\n");
  const body = sections.map((s) => {
    const p = r.phases.find((x) => s.startsWith(`## ${phaseHeading(x)}\n`));
    let html = mdTableToHtml(s);
    if (p) {
      html = `<div id="${anchor(p)}">${html}</div>`;
      if (p.report)
        html += `\n<details><summary>${escapeXml(p.name)} report inline</summary><iframe loading="lazy" src="${escapeXml(p.report)}"></iframe></details>`;
    }
    return html;
  });
  const ok = r.passed && !r.interrupted;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Prove ${escapeXml(r.id)}</title><style>${CSS}</style></head><body>
<h1>Prove run ${escapeXml(r.id)}: <span class="${ok ? "ok" : "bad"}">${verdict(r)}</span> (exit ${r.exitCode})</h1>
<p><a href="../index.html">all runs</a> · <a href="summary.json">summary.json</a> · <a href="summary.md">summary.md</a></p>
<p>command <code>${escapeXml(r.command)}</code> · stack ${escapeXml(r.stack)} (backend ${escapeXml(r.backend)}) · ${escapeXml(r.startedAt)} → ${escapeXml(r.finishedAt)}</p>
${r.kept ? `<p>stack kept${r.kept.expiresAt ? `, expires at ${escapeXml(r.kept.expiresAt)}` : ""}; destroy it with <code>${escapeXml(r.kept.destroyCommand)}</code></p>` : ""}
<table><tr><th>phase</th><th>gates</th><th>result</th><th>duration</th></tr>
${rows}
</table>
${body.join("\n")}
</body></html>
`;
}

/**
 * Writes summary.json, summary.md and index.html into `dir` (synchronously: the second Ctrl-C writes the
 * report just before exiting) and refreshes `reportsRoot`/index.html, which lists prove runs too.
 */
export function writeProveReport(dir: string, reportsRoot: string, r: ProveResult): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "summary.json"), JSON.stringify(r, null, 2));
  fs.writeFileSync(path.join(dir, "summary.md"), renderProveMarkdown(r));
  fs.writeFileSync(path.join(dir, "index.html"), renderProveHtml(r));
  refreshIndex(reportsRoot);
}
