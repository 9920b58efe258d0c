// The real Pulumi engine for scripts and tests: the CLI found by scripts/toolchain.sh, driven through the
// Automation API (LocalWorkspace on this repository, so `index.ts` and the Pulumi.<stack>.yaml files are
// exactly what `npm run up` uses), a local file backend and passphrase secrets.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";

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

export interface EngineStackOptions {
  /** Stack name; Pulumi.<stack>.yaml in the repository holds its config. */
  stack: string;
  /** Folder of the local file backend (created when missing). */
  stateDir: string;
  /** Secrets passphrase. Default LOCAL_PASSPHRASE. */
  passphrase?: string;
  /** The Pulumi project's folder. Default this repository. */
  workDir?: string;
}

/** Environment for the engine and for any command that reads the same stack (`pulumi stack output`). */
export function engineEnv(o: EngineStackOptions): Record<string, string> {
  return {
    ...toolchainEnv(),
    PULUMI_BACKEND_URL: `file://${path.resolve(o.stateDir)}`,
    PULUMI_CONFIG_PASSPHRASE: o.passphrase ?? LOCAL_PASSPHRASE,
  };
}

/** Creates (or selects) the stack in the local backend. */
export async function openStack(o: EngineStackOptions): Promise<Stack> {
  fs.mkdirSync(o.stateDir, { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: o.stack, workDir: o.workDir ?? REPO_ROOT },
    { envVars: engineEnv(o) },
  );
}

/** Removes the stack's state from the backend; keeps Pulumi.<stack>.yaml unless told (a plain `stack rm` deletes it). */
export async function removeStack(stack: Stack, { preserveConfig = true } = {}): Promise<void> {
  await stack.workspace.removeStack(stack.name, { preserveConfig });
}

/** The engine's replacement steps; a replace shows as one "replace" per resource. */
const REPLACEMENT_STEPS = new Set(["replace", "create-replacement", "delete-replaced", "discard-replaced"]);

/**
 * Operation per resource URN from a preview's or update's engine events (`same` steps left out). A
 * replacement is several steps of one resource (create-replacement, replace, delete-replaced; in another
 * order with deleteBeforeReplace): it is reported once, as "replace".
 */
export function plannedOperations(events: EngineEvent[]): Map<string, string> {
  const ops = new Map<string, string>();
  for (const e of events) {
    const step = e.resourcePreEvent?.metadata;
    if (!step || step.op === "same") continue;
    ops.set(step.urn, REPLACEMENT_STEPS.has(step.op) ? "replace" : step.op);
  }
  return ops;
}

/** The resource's type and name from its URN: "docker:index/container:Container::router-1". */
export function urnTypeName(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return `${type}::${parts[3] ?? ""}`;
}
