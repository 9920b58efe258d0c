// npm run chaos -- <suite|experiment...> [--stack <name> | --outputs <file.json>] [--report-dir <dir>]
//   [--tenant-tokens t:k,…]
// Runs the experiments against a stack's outputs and writes reports/chaos/<timestamp>/. Exit code 1 when
// any experiment fails (gates, preconditions or rollbacks), 2 on bad usage. The load generator's tenant
// ("chaos") sends its bearer token from --tenant-tokens, else from the stack's secret tenantTokens output.
import path from "node:path";
import type { StackOutputs } from "../stacks/outputs";
import { FlagSpec, parseTenantTokens, readFlags, UsageError } from "../tooling/args";
import { readOutputsFile, readPulumiOutputs } from "../tooling/outputs";
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

const FLAGS: Record<string, FlagSpec> = {
  stack: { type: "string" },
  outputs: { type: "string" },
  "report-dir": { type: "string" },
  "tenant-tokens": { type: "string" },
};

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { words: [] };
  for (const t of readFlags(argv, FLAGS, {
    positionals: true,
    unknownFlag: (arg) => `unknown option ${arg}`,
  })) {
    if (t.kind === "positional") a.words.push(t.value);
    else if (t.name === "stack") a.stack = t.value;
    else if (t.name === "outputs") a.outputsFile = t.value;
    else if (t.name === "report-dir") a.reportDir = t.value;
    else if (t.name === "tenant-tokens") a.tenantTokens = parseTenantTokens(t.value);
  }
  if (a.words.length === 0) throw new UsageError("name at least one suite or experiment");
  if (a.stack && a.outputsFile) throw new UsageError("use either --stack or --outputs, not both");
  return a;
}

/** The stack's outputs, read and checked by the same rules as validation's (tooling/outputs.ts). */
function loadOutputs(a: CliArgs): StackOutputs {
  return a.outputsFile ? readOutputsFile(a.outputsFile) : readPulumiOutputs(a.stack ?? "dev");
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
