// The `ci` stack deployed by the real Pulumi engine (scripts/engine.ts: the CLI from scripts/toolchain.sh,
// the Automation API on this repository, a local file backend under .ci-out/, passphrase secrets): deployed
// at most once per mocha run by the first suite that calls getDeployedStack(). test/deployed/99-destroy
// destroys it and checks nothing remains; the global teardown (root-hooks.ts) destroys it too when a run
// ends before that (a failed deploy, a narrowed MOCHA_SPEC) and fails the run if any object remains.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { engineEnv, openStack, REPO_ROOT, removeStack } from "../../scripts/engine";
import type { StackOutputs } from "../../stacks/outputs";
import {
  describeUnhealthy,
  listStackObjects,
  removeStackObjects,
  StackObjects,
} from "../../scripts/stack-objects";

/** The stack the deployed suites run against (DEPLOY_STACK overrides, e.g. for a second checkout). */
export const DEPLOYED_STACK = process.env.DEPLOY_STACK ?? "ci";
/** The local backend of the test runs (a fresh one per run: the stack from an earlier run is gone). */
export const STATE_DIR = path.join(REPO_ROOT, ".ci-out", "pulumi-state");
/** Generous: the first deploy builds the gateway and router images. Use it as the caller's hook timeout. */
export const DEPLOY_TIMEOUT_MS = 900_000;
const ENGINE = { stack: DEPLOYED_STACK, stateDir: STATE_DIR };

export interface DeployReport {
  /** Wall-clock seconds of `up` as the engine reported them. */
  seconds: number;
  /** Resources the engine created. */
  resources: number;
  /** The engine's output (progress and diagnostics). */
  log: string;
  /** Pulumi.<stack>.yaml before the first engine command: the engine must leave it as it was. */
  stackFileBefore: string;
}

interface Deployment {
  stack: Stack;
  outputs: StackOutputs;
  report: DeployReport;
}

let deployment: Promise<Deployment> | undefined;
let destroyed = false;

/** Plain values of the engine's outputs (secrets unwrapped). */
export function outputValues(map: OutputMap): StackOutputs {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.value])) as unknown as StackOutputs;
}

async function deploy(): Promise<Deployment> {
  const stackFileBefore = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${DEPLOYED_STACK}.yaml`), "utf8");
  // A run that died before its teardown leaves containers with fixed names and host ports behind, and
  // its state with them: start from nothing.
  const leftovers = await removeStackObjects(DEPLOYED_STACK);
  if (leftovers > 0) process.stderr.write(`      removed ${leftovers} objects left by an earlier run\n`);
  // Only this stack's checkpoint (and its backups): another DEPLOY_STACK may share the backend.
  const stacks = path.join(STATE_DIR, ".pulumi", "stacks", "proving-ground");
  for (const f of fs.existsSync(stacks) ? fs.readdirSync(stacks) : []) {
    if (f.startsWith(`${DEPLOYED_STACK}.json`)) fs.rmSync(path.join(stacks, f));
  }
  const stack = await openStack(ENGINE);
  let log = "";
  const res = await stack.up({ color: "never", onOutput: (s) => (log += s) }).catch(async (e: Error) => {
    // The engine says only "container failed to be in healthy state": add what Docker knows.
    const why = await describeUnhealthy(DEPLOYED_STACK).catch((d: Error) => [`(docker: ${d.message})`]);
    throw new Error(`up of ${DEPLOYED_STACK} failed\n${why.join("\n")}\n${e.message}`);
  });
  const started = new Date(res.summary.startTime).getTime();
  const ended = new Date(res.summary.endTime).getTime();
  return {
    stack,
    outputs: outputValues(res.outputs),
    report: {
      seconds: (ended - started) / 1000,
      resources: res.summary.resourceChanges?.create ?? 0,
      log,
      stackFileBefore,
    },
  };
}

/**
 * Deploys the stack (once per process; later calls share the result) and returns its outputs.
 * Call it from a `before` hook with `this.timeout(DEPLOY_TIMEOUT_MS)`.
 */
export async function getDeployedStack(): Promise<StackOutputs> {
  deployment ??= deploy();
  return (await deployment).outputs;
}

/** The Automation API stack, for engine operations (preview, refresh, up with other config, destroy). */
export async function getEngineStack(): Promise<Stack> {
  deployment ??= deploy();
  return (await deployment).stack;
}

/** How long the deploy took and what it created (after getDeployedStack() resolved). */
export async function getDeployReport(): Promise<DeployReport> {
  deployment ??= deploy();
  return (await deployment).report;
}

/** Environment under which `pulumi stack output --stack <DEPLOYED_STACK>` finds the deployed stack. */
export function deployedStackEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...engineEnv(ENGINE) };
}

/** Runs an npm script (`npm run <script> -- args…`) as a user would, against the deployed stack's backend. */
export function runNpmScript(
  script: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], {
      cwd: REPO_ROOT,
      env: deployedStackEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (b: Buffer) => {
      output += b.toString();
      if (process.env.TEST_VERBOSE) process.stderr.write(b);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** What a validation or chaos command line run against the deployed stack printed and wrote. */
export interface CliRun<T> {
  code: number | null;
  output: string;
  /** The run's report folder (<root>/<timestamp>/). */
  dir: string;
  /** The run's JSON result (summary.json, journal.json) as written by the command. */
  result: T;
}

/**
 * Runs `npm run <script> -- <args> --stack <stack, default the deployed one> --report-dir <new folder under reports/>` as a
 * user would (the outputs come through `pulumi stack output`), then reads `resultFile` from the one run
 * folder it wrote.
 */
export async function runStackCli<T>(
  script: string,
  args: string[],
  resultFile: string,
  timeoutMs: number,
  stack = DEPLOYED_STACK,
): Promise<CliRun<T>> {
  const reports = path.join(REPO_ROOT, "reports");
  fs.mkdirSync(reports, { recursive: true });
  const root = fs.mkdtempSync(path.join(reports, `${script}-${stack}-`));
  const { code, output } = await runNpmScript(
    script,
    [...args, "--stack", stack, "--report-dir", root],
    timeoutMs,
  );
  const dirs = fs.readdirSync(root).filter((d) => fs.statSync(path.join(root, d)).isDirectory());
  if (dirs.length !== 1) {
    throw new Error(`expected one run in ${root}, found [${dirs.join(", ")}]:\n${output.slice(-3000)}`);
  }
  const dir = path.join(root, dirs[0]);
  const result = JSON.parse(fs.readFileSync(path.join(dir, resultFile), "utf8")) as T;
  return { code, output, dir, result };
}

/**
 * `pulumi destroy` and the removal of the stack's state (Pulumi.<stack>.yaml stays), then the stack's
 * containers, networks and volumes as the Docker API lists them. Idempotent.
 */
export async function destroyDeployedStack(): Promise<StackObjects> {
  if (deployment && !destroyed) {
    destroyed = true;
    const stack = await deployment.then(
      (d) => d.stack,
      () => openStack(ENGINE), // a failed `up` may have created some resources: destroy those
    );
    await stack.destroy({ color: "never" });
    await removeStack(stack);
  }
  return listStackObjects(DEPLOYED_STACK);
}

/** True once destroyDeployedStack() ran. */
export function deployedStackDestroyed(): boolean {
  return destroyed;
}

/**
 * Global teardown: destroys the stack when a deploy was attempted in this run and 99-destroy did not run,
 * and throws when any container, network or volume of the stack remains. PG_KEEP_DEPLOYED=1 keeps the
 * stack for debugging (and skips the check).
 */
export async function teardownDeployedStack(): Promise<void> {
  if (!deployment) return;
  if (process.env.PG_KEEP_DEPLOYED === "1") {
    process.stderr.write(
      `PG_KEEP_DEPLOYED=1: stack ${DEPLOYED_STACK} left running (backend ${STATE_DIR}; remove it with ` +
        `PULUMI_BACKEND_URL=file://${STATE_DIR} PULUMI_CONFIG_PASSPHRASE=proving-ground-local pulumi destroy --stack ${DEPLOYED_STACK})\n`,
    );
    return;
  }
  const left = await destroyDeployedStack();
  const names = [...left.containers, ...left.networks, ...left.volumes];
  if (names.length > 0) throw new Error(`stack ${DEPLOYED_STACK} left objects behind: ${names.join(", ")}`);
}
