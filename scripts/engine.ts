// The real Pulumi engine for scripts and tests: the CLI found by scripts/toolchain.sh, driven through the
// Automation API (LocalWorkspace on this repository, so `index.ts` and the Pulumi.<stack>.yaml files are
// exactly what `npm run up` uses), a local file backend and passphrase secrets.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { plannedOperations, urnTypeName } from "./engine-events";

export { plannedOperations, urnTypeName };

export const REPO_ROOT = path.resolve(__dirname, "..");

/**
 * The passphrase of scripts/pulumi.sh's default, and the one Pulumi.ci.yaml's `encryptionsalt` was made
 * with: a stack file without a salt is rewritten by every `up`.
 */
export const LOCAL_PASSPHRASE = "proving-ground-local";

let toolchain: Record<string, string> | undefined;

/**
 * NAME=value pairs scripts/toolchain.sh prints (PATH with the CLI first, update check and plugin
 * downloads off), applied to this process once so that the Automation API finds `pulumi` too.
 */
export function toolchainEnv(): Record<string, string> {
  if (!toolchain) {
    let text: string;
    try {
      text = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "toolchain.sh")], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`no Pulumi CLI: ${(err.stderr || err.message).trim()}`);
    }
    toolchain = {};
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) toolchain[line.slice(0, eq)] = line.slice(eq + 1);
    }
    Object.assign(process.env, toolchain);
  }
  return toolchain;
}

export type EngineStackOptions = {
  /** Stack name; Pulumi.<stack>.yaml in the repository holds its config. */
  stack: string;
  /** The Pulumi project's folder. Default this repository. */
  workDir?: string;
} & (
  | {
      /** Folder of the local file backend (created when missing). */
      stateDir: string;
    }
  | {
      /** Any backend URL (file://, s3://, https://…); a file:// folder is created when missing. */
      backendUrl: string;
    }
) &
  (
    | {
        /** Secrets passphrase. Default LOCAL_PASSPHRASE. */
        passphrase?: string;
      }
    | {
        /** A file holding the secrets passphrase (PULUMI_CONFIG_PASSPHRASE_FILE). */
        passphraseFile: string;
      }
  );

function backendUrl(o: EngineStackOptions): string {
  return "backendUrl" in o ? o.backendUrl : `file://${path.resolve(o.stateDir)}`;
}

/** Environment for the engine and for any command that reads the same stack (`pulumi stack output`). */
export function engineEnv(o: EngineStackOptions): Record<string, string> {
  return {
    ...toolchainEnv(),
    PULUMI_BACKEND_URL: backendUrl(o),
    ...("passphraseFile" in o
      ? { PULUMI_CONFIG_PASSPHRASE_FILE: o.passphraseFile }
      : { PULUMI_CONFIG_PASSPHRASE: o.passphrase ?? LOCAL_PASSPHRASE }),
  };
}

/** Creates (or selects) the stack in the backend. */
export async function openStack(o: EngineStackOptions): Promise<Stack> {
  const url = backendUrl(o);
  if (url.startsWith("file://")) fs.mkdirSync(url.slice("file://".length), { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: o.stack, workDir: o.workDir ?? REPO_ROOT },
    { envVars: engineEnv(o) },
  );
}

/** Removes the stack's state from the backend; keeps Pulumi.<stack>.yaml unless told (a plain `stack rm` deletes it). */
export async function removeStack(stack: Stack, { preserveConfig = true } = {}): Promise<void> {
  await stack.workspace.removeStack(stack.name, { preserveConfig });
}

/** An engine event and when this process received it (ms since the epoch). */
export interface ReceivedEvent {
  event: EngineEvent;
  at: number;
}

/** One resource step of an operation, from its events. */
export interface ResourceTiming {
  urn: string;
  resource: string;
  op: string;
  /** From the engine's event timestamps (whole seconds), relative to the operation's first event. */
  startS: number;
  durationS: number;
  /** The same from the times this process received the events (ms resolution, relative to `startedAt`). */
  startReceivedS: number;
  durationReceivedS: number;
}

/**
 * Start (resourcePreEvent) and end (resOutputsEvent) of each step of an operation, matched by URN;
 * `startedAt` is when the operation was called (ms since the epoch). Custom resources only, `same` steps
 * left out.
 */
export function resourceTimings(events: ReceivedEvent[], startedAt: number): ResourceTiming[] {
  const first = events[0]?.event.timestamp ?? startedAt / 1000;
  const open = new Map<string, ReceivedEvent>();
  const out: ResourceTiming[] = [];
  for (const r of events) {
    const pre = r.event.resourcePreEvent?.metadata;
    if (pre && !open.has(pre.urn)) open.set(pre.urn, r);
    const done = r.event.resOutputsEvent?.metadata;
    if (!done) continue;
    const start = open.get(done.urn);
    if (!start) continue;
    open.delete(done.urn);
    // Components and the stack are logical: their span is their children's, not work of their own.
    if ((done.new ?? done.old)?.custom !== true || done.op === "same") continue;
    out.push({
      urn: done.urn,
      resource: urnTypeName(done.urn),
      op: start.event.resourcePreEvent!.metadata.op,
      startS: start.event.timestamp - first,
      durationS: r.event.timestamp - start.event.timestamp,
      startReceivedS: (start.at - startedAt) / 1000,
      durationReceivedS: (r.at - start.at) / 1000,
    });
  }
  return out;
}
