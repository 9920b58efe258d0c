// `npm run reap`: lists this project's stacks in the backend with their expiry (the stack tag of
// scripts/stack-expiry.ts), marks those past it and, with --yes only, destroys them: after each destroy
// nothing labelled proving-ground.stack=<stack> may be left on Docker (else the stack stays in the
// backend and the run exits 1 naming the leftovers), then the stack is removed from the backend
// (its Pulumi.<stack>.yaml stays when it existed before the reap; one the CLI wrote during it is removed).
// Meant for cron or a scheduled CI job. Exit codes: 0 every expired stack destroyed cleanly (or a dry
// run), 1 a destroy, leftover check or removal failed (or an expiry tag is no time), 2 bad flags.
import fs from "node:fs";
import path from "node:path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { STACK_LABEL } from "../components/common";
import { formatTable } from "./bench-stack";
import { LOCAL_PASSPHRASE, REPO_ROOT, removeStack, toolchainEnv } from "./engine";
import { EXPIRY_TAG, expiryFromTags } from "./stack-expiry";
import { listStackObjects } from "./stack-objects";

export const USAGE = `usage: npm run reap -- [--dry-run | --yes] [--backend <url>] [--now <iso time>]

  --dry-run         list the stacks and what would be destroyed, destroy nothing (the default)
  --yes             destroy every expired stack, check nothing of it is left on Docker, remove it from the backend
  --backend <url>   Pulumi backend (default: $PULUMI_BACKEND_URL, else file://<repo>/.pulumi-state as npm run up)
  --now <iso time>  the time expiries are compared with (default: now), e.g. 2026-12-08T06:00:00Z

Secrets passphrase for the destroys: $PULUMI_CONFIG_PASSPHRASE (or _FILE), else npm run up's local default.
The expiry is the stack tag ${EXPIRY_TAG} (set by npm run prove -- --ttl <d>; by hand:
pulumi stack tag set ${EXPIRY_TAG} 2026-12-08T06:00:00Z --stack <name>).`;

export class UsageError extends Error {
  name = "UsageError";
}

export interface ReapArgs {
  /** Destroy the expired stacks (--yes); false is a dry run. */
  yes: boolean;
  backend: string;
  now: Date;
  help: boolean;
}

/** The default backend of `npm run up` (scripts/pulumi.sh). */
export function defaultBackend(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_BACKEND_URL || `file://${path.join(REPO_ROOT, ".pulumi-state")}`;
}

export function parseReapArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  clock: () => Date = () => new Date(),
): ReapArgs {
  let yes: boolean | undefined;
  let backend: string | undefined;
  let now: Date | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === "" || (eq < 0 && v.startsWith("--")))
        throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const mode = (m: boolean) => {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      if (yes !== undefined && yes !== m) throw new UsageError("--yes and --dry-run exclude each other");
      yes = m;
    };
    switch (flag) {
      case "--yes":
        mode(true);
        break;
      case "--dry-run":
        mode(false);
        break;
      case "--backend": {
        const v = value();
        if (!/^[a-z][a-z0-9+.-]*:\/\/./i.test(v))
          throw new UsageError(
            `--backend must be a URL such as file:///path/to/state, got ${JSON.stringify(v)}`,
          );
        backend = v;
        break;
      }
      case "--now": {
        const v = value();
        const d = new Date(v);
        if (!/^\d{4}-\d\d-\d\d(T|$)/.test(v) || Number.isNaN(d.getTime()))
          throw new UsageError(
            `--now must be an ISO 8601 time such as 2026-12-08T06:00:00Z, got ${JSON.stringify(v)}`,
          );
        now = d;
        break;
      }
      case "--help":
      case "-h":
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return { yes: yes ?? false, backend: backend ?? defaultBackend(env), now: now ?? clock(), help };
}

// ---------------------------------------------------------------------------------------------- listing

/** A stack as listed: its expiry, or why the expiry could not be read. */
export interface StackExpiry {
  name: string;
  expiresAt?: Date;
  error?: string;
}

export type ExpiryState = "expired" | "not expired" | "no expiry" | "invalid expiry";

export interface ReapRow extends StackExpiry {
  state: ExpiryState;
  /** "expired 2h 5m ago", "expires in 3d 1h", "no expiry", or the error. */
  note: string;
}

/** "45s", "12m", "2h 5m", "3d 4h": the two largest units of a duration. */
export function formatSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor(s / 3600) % 24, "h"],
    [Math.floor(s / 60) % 60, "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return "0s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}

/** Each stack's state at `now` (a stack expires at its expiry: `expiresAt <= now` is expired), by name. */
export function classify(stacks: StackExpiry[], now: Date): ReapRow[] {
  return [...stacks]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s): ReapRow => {
      if (s.error !== undefined) return { ...s, state: "invalid expiry", note: s.error };
      if (!s.expiresAt) return { ...s, state: "no expiry", note: "no expiry" };
      const left = s.expiresAt.getTime() - now.getTime();
      return left <= 0
        ? { ...s, state: "expired", note: `expired ${formatSpan(left)} ago` }
        : { ...s, state: "not expired", note: `expires in ${formatSpan(left)}` };
    });
}

/** The listing: stack, expiry (ISO time or "no expiry"), and the state at `now`. */
export function renderListing(rows: ReapRow[]): string {
  if (rows.length === 0) return "(no stacks)";
  return formatTable(
    ["stack", "expires at", "state"],
    rows.map((r) => [
      r.name,
      r.expiresAt ? r.expiresAt.toISOString() : r.error !== undefined ? "?" : "no expiry",
      r.state === "expired" ? r.note.replace(/^expired/, "EXPIRED") : r.note,
    ]),
    () => false,
  );
}

// ---------------------------------------------------------------------------------------------- reaping

export interface ReapOutcome {
  ok: boolean;
  /** What happened, for the summary line. */
  text: string;
}

function firstLines(e: unknown, n = 6): string {
  const lines = String((e as Error)?.message ?? e)
    .split("\n")
    .map((l) => l.trimEnd())
    .filter(Boolean);
  return lines.slice(0, n).join(" | ");
}

/**
 * Destroys one stack, checks Docker for anything still labelled with it, and removes it from the
 * backend. Pulumi.<stack>.yaml in `workDir` stays when it was there before; one the CLI writes while
 * destroying (a stack without a stack file gets one with a new encryption salt) is removed again.
 */
export async function reapStack(ws: LocalWorkspace, name: string): Promise<ReapOutcome> {
  const stackFile = path.join(ws.workDir, `Pulumi.${name}.yaml`);
  const hadStackFile = fs.existsSync(stackFile);
  try {
    const stack = await Stack.select(name, ws);
    let deleted: number;
    try {
      const res = await stack.destroy({ color: "never" });
      deleted = res.summary.resourceChanges?.delete ?? 0;
    } catch (e) {
      return { ok: false, text: `destroy failed (the stack stays in the backend): ${firstLines(e)}` };
    }
    const left = await listStackObjects(name);
    const names = [...left.containers, ...left.networks, ...left.volumes];
    if (names.length > 0)
      return {
        ok: false,
        text:
          `destroyed (${deleted} resources deleted), but still labelled ${STACK_LABEL}=${name} on Docker: ` +
          `${names.join(", ")} (the stack stays in the backend)`,
      };
    await removeStack(stack, { preserveConfig: true });
    return {
      ok: true,
      text:
        `destroyed (${deleted} resources deleted), nothing labelled ${STACK_LABEL}=${name} left, ` +
        `removed from the backend${hadStackFile ? ` (${path.basename(stackFile)} kept)` : ""}`,
    };
  } catch (e) {
    return { ok: false, text: `failed: ${firstLines(e)}` };
  } finally {
    if (!hadStackFile) fs.rmSync(stackFile, { force: true });
  }
}

/** Reads every stack of the project in `workDir` and its expiry from the backend `ws` points at. */
export async function listExpiries(ws: LocalWorkspace): Promise<StackExpiry[]> {
  const out: StackExpiry[] = [];
  for (const s of await ws.listStacks()) {
    try {
      out.push({ name: s.name, expiresAt: expiryFromTags(await ws.listTags(s.name)) });
    } catch (e) {
      out.push({ name: s.name, error: firstLines(e, 1) });
    }
  }
  return out;
}

/** The workspace of this project (or `workDir`) on `backend`, with the CLI of scripts/toolchain.sh. */
export async function reapWorkspace(backend: string, workDir = REPO_ROOT): Promise<LocalWorkspace> {
  const env: Record<string, string> = { ...toolchainEnv(), PULUMI_BACKEND_URL: backend };
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE)
    env.PULUMI_CONFIG_PASSPHRASE = LOCAL_PASSPHRASE;
  return LocalWorkspace.create({ workDir, envVars: env });
}

/** The whole command; returns the exit code. `log` gets stdout lines, `warn` stderr lines. */
export async function reap(
  argv: string[],
  log: (line: string) => void = (l) => process.stdout.write(l + "\n"),
  warn: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): Promise<number> {
  let args: ReapArgs;
  try {
    args = parseReapArgs(argv);
  } catch (e) {
    warn(`reap: ${(e as Error).message}`);
    warn(USAGE);
    return 2;
  }
  if (args.help) {
    log(USAGE);
    return 0;
  }
  if (args.backend.startsWith("file://") && !fs.existsSync(args.backend.slice("file://".length))) {
    warn(`reap: backend ${args.backend}: no such directory (set --backend or PULUMI_BACKEND_URL)`);
    return 2;
  }

  const now = args.now;
  log(
    `reap: backend ${args.backend}, now ${now.toISOString()}: ` +
      (args.yes ? "--yes, destroying the expired stacks" : "dry run (the default), nothing is destroyed"),
  );
  let rows: ReapRow[];
  let ws: LocalWorkspace;
  try {
    ws = await reapWorkspace(args.backend);
    rows = classify(await listExpiries(ws), now);
  } catch (e) {
    warn(`reap: could not list the stacks: ${firstLines(e)}`);
    return 1;
  }
  log(renderListing(rows));

  const expired = rows.filter((r) => r.state === "expired");
  const invalid = rows.filter((r) => r.state === "invalid expiry");
  let failed = 0;
  for (const r of rows) {
    if (r.state !== "expired") {
      log(`reap: ${r.name}: ${r.state === "invalid expiry" ? `not reaped, ${r.note}` : `kept (${r.note})`}`);
    } else if (!args.yes) {
      log(`reap: ${r.name}: would be destroyed (${r.note})`);
    } else {
      log(`reap: ${r.name}: ${r.note}, destroying`);
      const outcome = await reapStack(ws, r.name);
      if (!outcome.ok) failed++;
      log(`reap: ${r.name}: ${outcome.ok ? "" : "FAILED: "}${outcome.text}`);
    }
  }
  if (!args.yes) {
    log(
      `reap: dry run: ${expired.length} of ${rows.length} stacks expired` +
        (expired.length > 0 ? `; run with --yes to destroy ${expired.length === 1 ? "it" : "them"}` : ""),
    );
    return 0;
  }
  log(`reap: ${expired.length - failed} of ${expired.length} expired stacks destroyed and removed`);
  if (invalid.length > 0)
    warn(
      `reap: ${invalid.map((r) => r.name).join(", ")}: the ${EXPIRY_TAG} tag is no time; fix or remove it`,
    );
  return failed > 0 || invalid.length > 0 ? 1 : 0;
}

if (require.main === module) {
  reap(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`reap failed: ${(e as Error).stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
