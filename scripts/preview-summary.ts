// A pull request's view of a `pulumi preview`: markdown rendered from the engine's structured events (the
// event log `pulumi preview --event-log <file>` writes, one JSON EngineEvent per line, the same events the
// Automation API's `onEvent` gets), never from the CLI's text. `npm run preview -- --summary <file.md>`
// (scripts/pulumi.sh) runs this file on the preview's event log:
//
//   tsx scripts/preview-summary.ts --events <event-log.jsonl> --out <summary.md> [--exit-code <n>]
//
// renderPreviewSummary is pure and deterministic: the same events give the same bytes (rows sorted).
import fs from "node:fs";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { REPLACEMENT_STEPS } from "./engine-events";

/** Rows of the changes table and of the policy table before "… and N more". */
export const DEFAULT_MAX_ROWS = 200;
/** Property paths listed per row before "+N more". */
const MAX_PROPERTIES = 20;

/** Operations in the order they are listed; any other follows, alphabetically. */
const OP_ORDER = ["create", "update", "replace", "delete"];
/** Policy levels, most severe first. The Automation API's type calls advisory "warning". */
const LEVEL_ORDER = ["mandatory", "advisory", "remediate", "disabled"];

export interface SummaryOptions {
  /** Heading. Default "Pulumi preview of `<stack>`" with the stack from the events' URNs. */
  title?: string;
  /** The preview's exit code, when known: non-zero marks the preview failed. */
  exitCode?: number;
  /** Rows per table before the rest is counted in one line. Default DEFAULT_MAX_ROWS. */
  maxRows?: number;
}

/** One resource's planned change, from its step events. */
export interface PlannedChange {
  urn: string;
  type: string;
  name: string;
  /** create, update, replace, delete, or another engine op (read, import, discard, ...). */
  op: string;
  /** Property paths that change (detailedDiff's paths, else diffs). */
  changed: string[];
  /** replace only: the paths that force the replacement (detailedDiff's *-replace kinds, else `keys`). */
  replaceReasons: string[];
  /** replace only: the old resource is deleted before its replacement is created (deleteBeforeReplace). */
  deleteFirst: boolean;
}

export interface PolicyViolation {
  level: string;
  policy: string;
  pack: string;
  urn: string;
  message: string;
}

export interface PreviewFacts {
  stack: string;
  project: string;
  changes: PlannedChange[];
  /** Operation → number of resources, `same` included. */
  counts: Record<string, number>;
  violations: PolicyViolation[];
  /** Error diagnostics of the engine (a failed program, "preview failed", ...). */
  errors: string[];
  /** The engine's own verdict from the summary event ("succeeded"/"failed"), undefined without one. */
  result?: string;
}

/** Parses an event log (JSON lines); a line that is not JSON is an error that names it. */
export function parseEventLog(text: string): EngineEvent[] {
  const events: EngineEvent[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line));
    } catch {
      throw new Error(`event log line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
  return events;
}

function urnParts(urn: string): { stack: string; project: string; type: string; name: string } {
  const parts = urn.split("::");
  return {
    stack: (parts[0] ?? "").replace(/^urn:pulumi:/, ""),
    project: parts[1] ?? "",
    type: (parts[2] ?? "").split("$").pop() ?? "",
    name: parts.slice(3).join("::"),
  };
}

const opRank = (op: string) => (OP_ORDER.includes(op) ? OP_ORDER.indexOf(op) : OP_ORDER.length);
const byOp = (a: string, b: string) => opRank(a) - opRank(b) || a.localeCompare(b);
const levelOf = (l: string) => (l === "warning" ? "advisory" : l);
const levelRank = (l: string) => (LEVEL_ORDER.includes(l) ? LEVEL_ORDER.indexOf(l) : LEVEL_ORDER.length);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** What the events say, sorted: the input of the markdown, and of tests that want facts, not text. */
export function previewFacts(events: EngineEvent[]): PreviewFacts {
  const steps = new Map<string, NonNullable<EngineEvent["resourcePreEvent"]>["metadata"][]>();
  const violations = new Map<string, PolicyViolation>();
  const errors: string[] = [];
  let result: string | undefined;
  let stackUrn = "";
  for (const e of events) {
    const step = e.resourcePreEvent?.metadata;
    if (step) {
      steps.set(step.urn, [...(steps.get(step.urn) ?? []), step]);
      stackUrn ||= step.urn;
    }
    const p = e.policyEvent;
    if (p) {
      const v: PolicyViolation = {
        level: levelOf(p.enforcementLevel),
        policy: p.policyName,
        pack: p.policyPackVersion ? `${p.policyPackName}@${p.policyPackVersion}` : p.policyPackName,
        urn: p.resourceUrn ?? "",
        message: p.message.trim(),
      };
      violations.set(JSON.stringify(v), v);
    }
    const d = e.diagnosticEvent;
    if (d?.severity === "error") errors.push(d.message.trim());
    if (e.summaryEvent) result = (e.summaryEvent as { result?: string }).result ?? "succeeded";
  }

  const counts: Record<string, number> = {};
  const changes: PlannedChange[] = [];
  for (const [urn, list] of steps) {
    // Default providers (`pulumi:providers:<pkg>::default…`) are the engine's own: its counts leave them out.
    const { type, name } = urnParts(urn);
    if (type.startsWith("pulumi:providers:") && name.startsWith("default")) continue;
    const ops = list.map((s) => s.op as string);
    const replaced = ops.some((o) => REPLACEMENT_STEPS.has(o));
    const op = replaced ? "replace" : ops[ops.length - 1];
    counts[op] = (counts[op] ?? 0) + 1;
    if (op === "same") continue;
    const changed = new Set<string>();
    const reasons = new Set<string>();
    for (const s of list) {
      const detailed = Object.entries(s.detailedDiff ?? {});
      for (const [path, diff] of detailed) {
        changed.add(path);
        if (String(diff.diffKind).endsWith("-replace")) reasons.add(path);
      }
      if (!detailed.length) for (const k of s.diffs ?? []) changed.add(k);
    }
    if (replaced && !reasons.size) for (const s of list) for (const k of s.keys ?? []) reasons.add(k);
    changes.push({
      urn,
      type: list[0].type || type,
      name,
      op,
      changed: sorted(changed),
      replaceReasons: replaced ? sorted(reasons) : [],
      deleteFirst:
        replaced &&
        ops.indexOf("delete-replaced") >= 0 &&
        ops.indexOf("delete-replaced") < ops.indexOf("create-replacement"),
    });
  }
  changes.sort(
    (a, b) =>
      byOp(a.op, b.op) ||
      a.type.localeCompare(b.type) ||
      a.name.localeCompare(b.name) ||
      a.urn.localeCompare(b.urn),
  );
  const { stack, project } = urnParts(stackUrn);
  return {
    stack,
    project,
    changes,
    counts,
    violations: [...violations.values()].sort(
      (a, b) =>
        levelRank(a.level) - levelRank(b.level) ||
        a.policy.localeCompare(b.policy) ||
        a.urn.localeCompare(b.urn) ||
        a.message.localeCompare(b.message),
    ),
    errors,
    result,
  };
}

/** A table cell of plain text: `|` escaped, line breaks as <br>, HTML's specials as entities. */
export function cell(text: string): string {
  return text
    .trim()
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

/** Inline code safe in a table cell: a fence longer than any backtick run inside, `|` escaped, one line. */
export function code(text: string): string {
  const flat = text.replace(/\s*\r?\n\s*/g, " ");
  if (!flat) return "";
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${fence}${pad}${flat.replace(/\|/g, "\\|")}${pad}${fence}`;
}

const opLabel = (op: string) => (op === "same" ? "unchanged" : op);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function propertyList(paths: string[]): string {
  const shown = paths.slice(0, MAX_PROPERTIES).map(code).join(", ");
  return paths.length > MAX_PROPERTIES ? `${shown} +${paths.length - MAX_PROPERTIES} more` : shown;
}

function resourceRef(urn: string): string {
  if (!urn) return "(stack)";
  const { type, name } = urnParts(urn);
  return `${code(type)} ${code(name)}`;
}

/** The markdown summary of a preview's events. */
export function renderPreviewSummary(events: EngineEvent[], options: SummaryOptions = {}): string {
  const f = previewFacts(events);
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const failed =
    (options.exitCode !== undefined && options.exitCode !== 0) ||
    f.result === "failed" ||
    f.result === undefined;
  const out: string[] = [];
  const title = options.title ?? (f.stack ? `Pulumi preview of ${code(f.stack)}` : "Pulumi preview");
  out.push(`### ${title}`, "");

  const changed = f.changes.length;
  const mandatory = f.violations.filter((v) => v.level === "mandatory").length;
  let verdict: string;
  if (!events.length) verdict = "**Preview failed** before the engine reported any event.";
  else if (failed) {
    const exit = options.exitCode ? ` (exit code ${options.exitCode})` : "";
    const why = mandatory ? `: ${plural(mandatory, "mandatory policy violation")}` : "";
    verdict = `**Preview failed**${exit}${why}.`;
  } else
    verdict = changed
      ? `Preview succeeded: ${plural(changed, "resource")} to change.`
      : "Preview succeeded: no changes.";
  out.push(verdict, "");

  const ops = Object.keys(f.counts).sort((a, b) => (a === "same" ? 1 : b === "same" ? -1 : byOp(a, b)));
  if (ops.length) {
    out.push("| operation | resources |", "|---|---:|");
    for (const op of ops) out.push(`| ${opLabel(op)} | ${f.counts[op]} |`);
    out.push("");
  }

  if (f.violations.length) {
    const advisory = f.violations.length - mandatory;
    out.push(
      `#### Policy violations: ${mandatory} mandatory, ${advisory} advisory`,
      "",
      "| level | policy | pack | resource | message |",
      "|---|---|---|---|---|",
    );
    for (const v of f.violations.slice(0, maxRows)) {
      const level = v.level === "mandatory" ? "**mandatory**" : cell(v.level);
      out.push(
        `| ${level} | ${code(v.policy)} | ${code(v.pack)} | ${resourceRef(v.urn)} | ${cell(v.message)} |`,
      );
    }
    if (f.violations.length > maxRows)
      out.push("", `… and ${f.violations.length - maxRows} more violations.`);
    out.push("");
  }

  const replacements = f.changes.filter((c) => c.op === "replace");
  if (replacements.length) {
    out.push(`#### Replacements (${replacements.length})`, "");
    for (const r of replacements.slice(0, maxRows)) {
      const why = r.replaceReasons.length
        ? `replaced because ${propertyList(r.replaceReasons)} cannot change in place`
        : "replaced (the engine gave no property)";
      const order = r.deleteFirst ? "; deleted before its replacement is created" : "";
      out.push(`- ${resourceRef(r.urn)}: ${why}${order}`);
    }
    if (replacements.length > maxRows) out.push(`- … and ${replacements.length - maxRows} more replacements`);
    out.push("");
  }

  if (changed) {
    out.push("#### Changes", "", "| operation | type | name | changed properties |", "|---|---|---|---|");
    for (const c of f.changes.slice(0, maxRows))
      out.push(`| ${cell(c.op)} | ${code(c.type)} | ${code(c.name)} | ${propertyList(c.changed)} |`);
    if (changed > maxRows)
      out.push("", `… and ${changed - maxRows} more resources not listed (${changed} in all).`);
    out.push("");
  }

  if (f.errors.length) {
    out.push("#### Errors", "");
    for (const e of f.errors.slice(0, 20)) out.push("```", e.replace(/```/g, "'''"), "```");
    if (f.errors.length > 20) out.push(`… and ${f.errors.length - 20} more errors.`);
    out.push("");
  }
  return out.join("\n");
}

const USAGE =
  "usage: preview-summary --events <event-log.jsonl> --out <summary.md> [--exit-code <n>] [--title <text>]";

/** The command line: reads the event log (missing or empty: the preview failed before any event). */
export function main(argv: string[]): void {
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!["--events", "--out", "--exit-code", "--title"].includes(flag))
      throw new Error(`unknown argument ${flag}\n${USAGE}`);
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    opts[flag.slice(2)] = value;
  }
  if (!opts.events || !opts.out) throw new Error(USAGE);
  const exitCode = opts["exit-code"] === undefined ? undefined : Number(opts["exit-code"]);
  if (exitCode !== undefined && !Number.isInteger(exitCode))
    throw new Error(`--exit-code must be an integer: ${opts["exit-code"]}`);
  const text = fs.existsSync(opts.events) ? fs.readFileSync(opts.events, "utf8") : "";
  fs.writeFileSync(opts.out, renderPreviewSummary(parseEventLog(text), { exitCode, title: opts.title }));
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`preview-summary: ${(e as Error).message}`);
    process.exit(2);
  }
}
