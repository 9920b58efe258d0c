// `npm run prove -- --stack <name> [--profiles p1,p2] [--chaos <suite>] [--soak <duration>] [--keep]
// [--ttl <duration>]`: deploys the stack, proves it (E2E, load, chaos, soak) and destroys it, with one
// report in reports/<run>/ (prove/run.ts, prove/report.ts).
// Exit codes: 0 every gate passed and the teardown was clean; 1 a gate or the teardown failed; 2 bad
// usage, an unreachable engine or a failed `up`; 130 (Ctrl-C) / 143 (SIGTERM) interrupted with a clean
// teardown (1 when a second Ctrl-C skipped it).
import fs from "node:fs";
import path from "node:path";
import { select, SUITES } from "../chaos/experiments";
import { parseDuration } from "../loadtests/cli";
import { DEFAULT_SETTINGS, LOAD_PROFILES, ProfileName } from "../loadtests/profiles";
import { LOCAL_PASSPHRASE, REPO_ROOT } from "../scripts/engine";
import { parseTtl } from "../scripts/stack-expiry";
import { FlagSpec, readFlags, UsageError } from "../tooling/args";
import { BackendSettings, EngineUnreachable, ProveOptions, runDir, runProve } from "./run";

export const USAGE = `usage: npm run prove -- --stack <name> [flags]

Deploys the stack (Pulumi.<name>.yaml) with the Pulumi engine, runs the E2E checks, the load profiles,
the chaos suite and an optional soak against its outputs, destroys it and writes reports/<run>/.

  --stack <name>           the stack to deploy; Pulumi.<name>.yaml in ${REPO_ROOT} holds its config (required)
  --profiles a,b|none      load profiles (${LOAD_PROFILES.join(", ")}); default all of them
  --duration <d>           duration of each load profile, e.g. 15s or 2m (default ${DEFAULT_SETTINGS.durationS}s)
  --e2e <prefix,…>|all|none  E2E checks whose id starts with a prefix (e.g. subjects.,errors.gateway.); default all
  --chaos <suite>|none     chaos suite (${Object.keys(SUITES).join(", ")}) or experiments, comma-separated (default ci)
  --soak <d>               a soak after chaos, e.g. 30m or 3h (default none)
  --keep                   keep the stack at the end instead of destroying it
  --ttl <d>                with --keep: when the stack expires (e.g. 4h; \`npm run reap\` destroys it after)
  --report-dir <dir>       root of the reports (default reports)

Environment (as \`npm run up\`): PULUMI_BACKEND_URL (default file://${REPO_ROOT}/.pulumi-state),
PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (default the built-in local passphrase, with a warning).

Exit codes: 0 passed and torn down; 1 a gate or the teardown failed; 2 bad usage, unreachable engine or a
failed up; 130 interrupted by Ctrl-C (143 SIGTERM) and torn down. A second Ctrl-C skips the destroy (exit 1).`;

/** What the flags say (ProveOptions without what main adds). */
export type ProveArgs = Omit<ProveOptions, "command" | "backend">;

/** A comma-separated list; "none" is the empty one. */
function list(flag: string, v: string): string[] {
  if (v === "none") return [];
  const items = v
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  if (!items.length)
    throw new UsageError(`${flag} needs a comma-separated list or none, got ${JSON.stringify(v)}`);
  return items;
}

const FLAGS: Record<string, FlagSpec> = {
  stack: { type: "string", expected: "name" },
  profiles: { type: "string", expected: "a,b|none" },
  profile: { type: "string", expected: "a,b|none" },
  duration: { type: "string", expected: "duration" },
  e2e: { type: "string", expected: "prefix,…|all|none" },
  chaos: { type: "string", expected: "suite|none" },
  soak: { type: "string", expected: "duration" },
  keep: { type: "boolean" },
  ttl: { type: "string", expected: "duration" },
  "report-dir": { type: "string", expected: "dir" },
  help: { type: "boolean", short: "h" },
};

/** The flags of `npm run prove`; every error names the flag and what was expected. */
export function parseArgs(argv: string[]): ProveArgs {
  let stack: string | undefined;
  let ttl: string | undefined;
  const a: Omit<ProveArgs, "stack"> = {
    profiles: [...LOAD_PROFILES],
    chaos: ["ci"],
    loadDurationS: DEFAULT_SETTINGS.durationS,
    keep: false,
    reportDir: "reports",
  };
  for (const { name, flag, value: v } of readFlags(argv, FLAGS)) {
    switch (name) {
      case "stack":
        if (!/^[A-Za-z0-9][\w.-]*$/.test(v))
          throw new UsageError(
            `--stack must be a stack name (letters, digits, _ . -), got ${JSON.stringify(v)}`,
          );
        stack = v;
        break;
      case "profiles":
      case "profile": {
        const ps = list(flag, v);
        for (const p of ps)
          if (!LOAD_PROFILES.includes(p as ProfileName))
            throw new UsageError(
              `${flag}: unknown load profile ${JSON.stringify(p)} (expected some of ${LOAD_PROFILES.join(", ")}, or none; the soak is --soak <duration>)`,
            );
        a.profiles = [...new Set(ps)] as ProfileName[];
        break;
      }
      case "e2e":
        a.e2e = v === "all" ? undefined : list(flag, v);
        break;
      case "duration":
        a.loadDurationS = parseDuration(v, "--duration");
        break;
      case "chaos": {
        const words = list(flag, v);
        try {
          if (words.length) select(words);
        } catch (e) {
          throw new UsageError(`--chaos: ${(e as Error).message}`);
        }
        a.chaos = words;
        break;
      }
      case "soak":
        a.soakS = parseDuration(v, "--soak");
        break;
      case "keep":
        a.keep = true;
        break;
      case "ttl":
        ttl = v;
        break;
      case "report-dir":
        a.reportDir = v;
        break;
      case "help":
        throw new UsageError("help");
    }
  }
  if (!stack)
    throw new UsageError("--stack is required: --stack <name> (Pulumi.<name>.yaml holds its config)");
  if (ttl !== undefined) {
    if (!a.keep)
      throw new UsageError("--ttl needs --keep: a stack that is destroyed at the end does not expire");
    try {
      a.ttlMs = parseTtl(ttl);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return { stack, ...a };
}

/** The backend and passphrase of scripts/pulumi.sh (`npm run up`). */
export function resolveBackend(env: NodeJS.ProcessEnv, repoRoot = REPO_ROOT): BackendSettings {
  const warnings: string[] = [];
  const url = env.PULUMI_BACKEND_URL || `file://${path.join(repoRoot, ".pulumi-state")}`;
  const b: BackendSettings = { url, isDefault: !env.PULUMI_BACKEND_URL, warnings };
  if (env.PULUMI_CONFIG_PASSPHRASE) b.passphrase = env.PULUMI_CONFIG_PASSPHRASE;
  else if (env.PULUMI_CONFIG_PASSPHRASE_FILE) b.passphraseFile = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  else {
    b.passphrase = LOCAL_PASSPHRASE;
    warnings.push(
      "PULUMI_CONFIG_PASSPHRASE is not set; using the built-in local default. Set your own for any state you share or keep.",
    );
  }
  return b;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args: ProveArgs;
  try {
    args = parseArgs(argv);
    const stackFile = path.join(REPO_ROOT, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(stackFile))
      throw new UsageError(
        `--stack ${args.stack}: no ${path.basename(stackFile)} in ${REPO_ROOT} (a stack needs its config file; e.g. copy Pulumi.ci.yaml and move its host ports)`,
      );
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(e.message === "help" ? `${USAGE}\n` : `prove: ${e.message}\n\n${USAGE}\n`);
    return e.message === "help" ? 0 : 2;
  }
  const backend = resolveBackend(env);
  for (const w of backend.warnings) process.stderr.write(`prove: WARNING: ${w}\n`);
  const o: ProveOptions = {
    ...args,
    reportDir: path.resolve(env.INIT_CWD ?? process.cwd(), args.reportDir),
    command: `npm run prove -- ${argv.join(" ")}`,
    backend,
  };
  try {
    const r = await runProve(o);
    process.stdout.write(
      `\n${r.interrupted ? `INTERRUPTED (${r.interrupted})` : r.passed ? "PASSED" : "FAILED"}, exit ${r.exitCode}: ` +
        `${r.phases.map((p) => `${p.name} ${p.status}`).join(", ")}\n`,
    );
    for (const f of r.failures) process.stdout.write(`  - ${f}\n`);
    process.stdout.write(`report: ${path.join(runDir(o, r), "index.html")}\n`);
    return r.exitCode;
  } catch (e) {
    if (e instanceof EngineUnreachable) {
      process.stderr.write(`prove: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`prove: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
