// npm run chaos -- <suite|experiment...> [--stack <name> | --outputs <file.json>] [--report-dir <dir>]
//   [--tenant-tokens t:k,…]
// Runs the experiments against a stack's outputs and writes reports/chaos/<timestamp>/. Exit code 1 when
// any experiment fails (gates, preconditions or rollbacks), 2 on bad usage. The load generator's tenant
// ("chaos") sends its bearer token from --tenant-tokens, else from the stack's secret tenantTokens output.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { StackOutputs } from "../stacks/outputs";
import { EXPERIMENTS, select, SUITES } from "./experiments";
import { runSuite } from "./suite";

const USAGE = `usage: npm run chaos -- <suite|experiment...> [--stack <name> | --outputs <file.json>] [--report-dir <dir>]
       [--tenant-tokens t:k,…]  (default: the stack's tenantTokens output)
suites: ${Object.entries(SUITES)
  .map(([k, v]) => `${k} (${v.length})`)
  .join(", ")}
experiments: ${EXPERIMENTS.map((e) => e.name).join(", ")}`;

export interface CliArgs {
  words: string[];
  stack?: string;
  outputsFile?: string;
  reportDir?: string;
  /** Bearer tokens per tenant; win over the stack's tenantTokens output. */
  tenantTokens?: Record<string, string>;
}

function parseTokens(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  s.split(",")
    .filter(Boolean)
    .forEach((pair, n) => {
      const i = pair.indexOf(":");
      // Never echo the entry: it holds a token.
      if (i <= 0 || i === pair.length - 1)
        throw new Error(`--tenant-tokens entries must be tenant:token; entry ${n + 1} is not`);
      out[pair.slice(0, i)] = pair.slice(i + 1);
    });
  return out;
}

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { words: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new Error(`${v} needs a value`);
      return next;
    };
    if (v === "--stack") a.stack = value();
    else if (v === "--outputs") a.outputsFile = value();
    else if (v === "--report-dir") a.reportDir = value();
    else if (v === "--tenant-tokens") a.tenantTokens = parseTokens(value());
    else if (v.startsWith("--")) throw new Error(`unknown option ${v}`);
    else a.words.push(v);
  }
  if (a.words.length === 0) throw new Error("name at least one suite or experiment");
  if (a.stack && a.outputsFile) throw new Error("use either --stack or --outputs, not both");
  return a;
}

function loadOutputs(a: CliArgs): StackOutputs {
  let raw: string;
  if (a.outputsFile) {
    raw = fs.readFileSync(a.outputsFile, "utf8");
  } else {
    const stack = a.stack ?? "dev";
    const env = { ...process.env };
    env.PULUMI_BACKEND_URL ??= `file://${path.resolve(".pulumi-state")}`;
    try {
      raw = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
        env,
        encoding: "utf8",
      });
    } catch (e) {
      throw new Error(
        `could not read outputs of stack "${stack}" with the Pulumi CLI (${(e as Error).message.split("\n")[0]}); pass --outputs <file.json> instead`,
      );
    }
  }
  const o = JSON.parse(raw) as StackOutputs;
  for (const k of ["gatewayUrl", "chaosTargets"] as const) {
    if (!o[k])
      throw new Error(`stack outputs lack "${k}" (expected the StackOutputs shape of stacks/outputs.ts)`);
  }
  return o;
}

async function main(): Promise<number> {
  let args: CliArgs;
  let outputs: StackOutputs;
  try {
    args = parseArgs(process.argv.slice(2));
    select(args.words); // unknown names fail here, before any stack is touched
    outputs = loadOutputs(args);
    if (args.tenantTokens) outputs.tenantTokens = args.tenantTokens;
  } catch (e) {
    process.stderr.write(`chaos: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY;
  const progress = (line: string) => process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  const { journal, dir } = await runSuite(args.words, { outputs, reportRoot: args.reportDir, progress });
  if (tty) process.stderr.write("\n");
  for (const e of journal.experiments) {
    process.stdout.write(`${e.status === "passed" ? "PASS" : "FAIL"} ${e.name}\n`);
    for (const r of e.reasons) process.stdout.write(`     ${r}\n`);
    for (const g of e.gates)
      process.stdout.write(`     ${g.pass ? "ok  " : "FAIL"} ${g.gate.kind}: ${g.detail}\n`);
  }
  for (const n of journal.notApplicable) process.stdout.write(`n/a  ${n.name}: ${n.problems.join("; ")}\n`);
  process.stdout.write(`report: ${path.join(dir, "index.html")}\n`);
  return journal.status === "passed" ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chaos: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
