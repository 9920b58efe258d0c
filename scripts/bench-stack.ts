// What the benchmarks that deploy the `ci` configuration as a stack of their own (`bench-engine` as
// `bench`, `bench-cpu` as `bench-cpu`) share: the stack config generated from Pulumi.ci.yaml with other
// host ports, the run's life cycle (a fresh temp state, leftovers of an earlier run removed and named,
// everything destroyed at the end, also after an error or Ctrl-C), progress lines, the text table and the
// JSON report under reports/<kind>/.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import YAML from "yaml";
import { STACK_LABEL } from "../components/common";
import { LOCAL_PASSPHRASE, openStack, REPO_ROOT, removeStack, toolchainEnv } from "./engine";
import { watchInterrupts } from "./interrupt";
import { listStackObjects, removeStackObjects } from "./stack-objects";

export const SOURCE_CONFIG = path.join(REPO_ROOT, "Pulumi.ci.yaml");

/** Host ports of a bench stack: the ci stack's 18080/19090/19093 may be in use by a test run. */
export interface HostPorts {
  gatewayHostPort: number;
  prometheusHostPort: number;
  alertmanagerHostPort: number;
}

/** `[name +  12.3s] msg` lines on stderr, seconds since `start`. */
export function progressLogger(name: string, start = Date.now()): (msg: string) => void {
  return (msg) =>
    process.stderr.write(`[${name} +${((Date.now() - start) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

/**
 * Writes Pulumi.ci.yaml with `ports` and `overrides` (config keys without the project prefix) to `file`.
 * Edited as a YAML document, so comments and the encryptionsalt line stay as they are.
 */
export function writeStackConfig(
  file: string,
  ports: HostPorts,
  overrides: Record<string, number> = {},
): string {
  const doc = YAML.parseDocument(fs.readFileSync(SOURCE_CONFIG, "utf8"));
  if (!doc.get("encryptionsalt")) throw new Error(`${SOURCE_CONFIG} has no encryptionsalt line`);
  for (const [k, v] of Object.entries({ ...ports, ...overrides }))
    doc.setIn(["config", `proving-ground:${k}`], v);
  fs.writeFileSync(file, doc.toString());
  return file;
}

/** Columns padded to their widest cell and separated by two spaces; `right` columns are right-aligned. */
export function formatTable(head: string[], rows: string[][], right: (i: number) => boolean): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) =>
    widths
      .map((w, i) => (right(i) ? (c[i] ?? "").padStart(w) : (c[i] ?? "").padEnd(w)))
      .join("  ")
      .trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Writes `report` to reports/<kind>/<timestamp>.json and returns the file's path. */
export function writeJsonReport(kind: string, timestamp: string, report: unknown): string {
  const dir = path.join(REPO_ROOT, "reports", kind);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${timestamp.replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
  return file;
}

export interface BenchStackOptions {
  /** Stack name, also the value of the proving-ground.stack label of its Docker objects. */
  stack: string;
  ports: HostPorts;
  progress: (msg: string) => void;
}

export interface BenchRun {
  stack: Stack;
  /**
   * Writes the ci config with the run's ports and `overrides` as Pulumi.<stack>.<name>.yaml into the
   * run's temp folder and returns its path.
   */
  config(name: string, overrides?: Record<string, number>): string;
  /** The config file the final destroy uses: set it to the one of every `up`. */
  lastConfig: string;
  /** Aborted by the first Ctrl-C. */
  signal: AbortSignal;
  /** `p`, unless Ctrl-C comes first: then rejects at once (for work that is not a pulumi child). */
  untilInterrupted<T>(p: Promise<T>): Promise<T>;
}

async function removeLeftovers(stack: string): Promise<string[]> {
  const left = await listStackObjects(stack);
  await removeStackObjects(stack);
  return [...left.containers, ...left.networks, ...left.volumes];
}

/**
 * Runs `body` with the stack open in a fresh temp state. Before: objects labelled
 * proving-ground.stack=<stack> (an interrupted earlier run) are removed and named. After, also after an
 * error or Ctrl-C: `destroy` with the last config, the stack's state and temp folder removed, anything
 * still labelled with the stack force-removed and named (the exit code is then 1).
 */
export async function withBenchStack<T>(
  o: BenchStackOptions,
  body: (run: BenchRun) => Promise<T>,
): Promise<T> {
  toolchainEnv();
  const stale = await removeLeftovers(o.stack);
  if (stale.length > 0)
    o.progress(`removed ${stale.length} objects left by an earlier run: ${stale.join(", ")}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `pg-${o.stack}-`));
  const config = (name: string, overrides: Record<string, number> = {}) =>
    writeStackConfig(path.join(tmp, `Pulumi.${o.stack}.${name}.yaml`), o.ports, overrides);

  // `stack init`, and the Automation API's `stack output --show-secrets` after each up (it takes no
  // configFile), write Pulumi.<stack>.yaml with a new salt into the repository when there is none. Every
  // operation here uses `configFile`, so that file is removed again unless it existed before.
  const repoStackFile = path.join(REPO_ROOT, `Pulumi.${o.stack}.yaml`);
  const repoStackFileExisted = fs.existsSync(repoStackFile);
  const dropRepoStackFile = () => {
    if (!repoStackFileExisted) fs.rmSync(repoStackFile, { force: true });
  };

  // Ctrl-C reaches the pulumi child too (same process group), which cancels its operation; the failed
  // call then runs the cleanup below. Other work sees `signal`. A second Ctrl-C exits at once (one within
  // a second of the first is the same one relayed by tsx: scripts/interrupt.ts).
  const interrupts = watchInterrupts({
    onFirst: () => o.progress("interrupted: cleaning up (Ctrl-C again to exit at once)"),
    onSecond: () => process.exit(130),
  });

  let stack: Stack | undefined;
  const run = { lastConfig: config("base") } as BenchRun;
  try {
    stack = await openStack({
      stack: o.stack,
      stateDir: path.join(tmp, "state"),
      passphrase: LOCAL_PASSPHRASE,
    });
    dropRepoStackFile();
    Object.assign(run, {
      stack,
      config,
      signal: interrupts.signal,
      untilInterrupted: interrupts.untilInterrupted,
    });
    return await body(run);
  } finally {
    o.progress("cleaning up");
    if (stack) {
      try {
        await stack.destroy({ configFile: run.lastConfig, color: "never" });
      } catch (e) {
        o.progress(`destroy during cleanup failed: ${(e as Error).message.split("\n")[0]}`);
      }
      try {
        await removeStack(stack);
      } catch (e) {
        o.progress(`stack rm failed: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    dropRepoStackFile();
    fs.rmSync(tmp, { recursive: true, force: true });
    const left = await removeLeftovers(o.stack);
    if (left.length > 0) {
      o.progress(`force-removed objects the engine left behind: ${left.join(", ")}`);
      process.exitCode = 1;
    }
    const check = await listStackObjects(o.stack);
    if (check.containers.length + check.networks.length + check.volumes.length > 0) {
      o.progress(`still present after cleanup: ${JSON.stringify(check)}`);
      process.exitCode = 1;
    } else o.progress(`no ${STACK_LABEL}=${o.stack} containers, networks or volumes left`);
    interrupts.dispose();
    // Work that was not a pulumi child (a load run) may still hold the event loop: end here.
    if (interrupts.signal.aborted) process.exit(130);
  }
}
