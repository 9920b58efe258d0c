// The `ci` stack deployed for real onto dockerd by the deploy harness (test/deploy/README.md): deployed
// at most once per mocha run, by the first suite that calls getDeployedStack(), and torn down once in the
// global teardown (root-hooks.ts), which fails the run if any container, network or volume remains.
import fs from "node:fs";
import path from "node:path";
import type { StackOutputs } from "../../stacks/outputs";
import { runCli } from "../deploy/run-cli";
import { tail } from "../deploy/values";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The stack the deployed suites run against (DEPLOY_STACK overrides, e.g. for a second checkout). */
export const DEPLOYED_STACK = process.env.DEPLOY_STACK ?? "ci";
export const OUTPUTS_FILE = path.join(REPO_ROOT, ".ci-out", `outputs-${DEPLOYED_STACK}.json`);
/** Generous: the first deploy builds the gateway and router images. Use it as the caller's hook timeout. */
export const DEPLOY_TIMEOUT_MS = 900_000;

export interface DeployReport {
  /** Wall-clock seconds of `up` as the CLI measured it (from its "deployed N resources in Xs" line). */
  seconds: number;
  resources: number;
  /** The CLI's progress output (one line per resource). */
  log: string;
}

let deployment: Promise<{ outputs: StackOutputs; report: DeployReport }> | undefined;

async function deploy(): Promise<{ outputs: StackOutputs; report: DeployReport }> {
  const res = await runCli(["up", "--stack", DEPLOYED_STACK, "--outputs", OUTPUTS_FILE], {
    timeoutMs: DEPLOY_TIMEOUT_MS,
  });
  if (res.code !== 0) {
    throw new Error(`deploy of stack ${DEPLOYED_STACK} failed (exit ${res.code}):\n${tail(res.output, 80)}`);
  }
  const m = /deployed (\d+) resources in ([\d.]+)s/.exec(res.output);
  const outputs = JSON.parse(fs.readFileSync(OUTPUTS_FILE, "utf8")) as StackOutputs;
  return {
    outputs,
    report: { resources: Number(m?.[1] ?? 0), seconds: Number(m?.[2] ?? NaN), log: res.output },
  };
}

/**
 * Deploys the `ci` stack (once per process; later calls share the result) and returns its outputs.
 * Call it from a `before` hook with `this.timeout(DEPLOY_TIMEOUT_MS)`.
 */
export async function getDeployedStack(): Promise<StackOutputs> {
  deployment ??= deploy();
  return (await deployment).outputs;
}

/** How long the deploy took and what it created (after getDeployedStack() resolved). */
export async function getDeployReport(): Promise<DeployReport> {
  deployment ??= deploy();
  return (await deployment).report;
}

/**
 * Runs `down` when a deploy was attempted in this run (also after a failed one, which may have left
 * objects behind) and throws when any container, network or volume of the stack remains.
 * PG_KEEP_DEPLOYED=1 keeps the stack for debugging (and skips the check).
 */
export async function teardownDeployedStack(): Promise<void> {
  if (!deployment) return;
  await deployment.catch(() => undefined);
  deployment = undefined;
  if (process.env.PG_KEEP_DEPLOYED === "1") {
    process.stderr.write(
      `PG_KEEP_DEPLOYED=1: stack ${DEPLOYED_STACK} left running (remove it: npx tsx test/deploy/cli.ts down --stack ${DEPLOYED_STACK})\n`,
    );
    return;
  }
  const res = await runCli(["down", "--stack", DEPLOYED_STACK], { timeoutMs: 120_000 });
  if (res.code !== 0) throw new Error(`teardown of stack ${DEPLOYED_STACK} failed:\n${tail(res.output)}`);
}
