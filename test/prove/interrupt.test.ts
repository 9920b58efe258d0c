// A real `npm run prove`, interrupted: the stack `prove-sigint` (the ci configuration with host ports
// 28080/29090/29093, so it can run beside a `ci` deployment; state in a temp file backend) is deployed by
// the engine, the E2E phase runs, and once the load phase has started the whole process group gets SIGINT,
// as a terminal's Ctrl-C sends it. The run must stop the load, destroy the stack, leave nothing labelled
// with the stack, remove the stack from the backend and exit 130.
//
// Exit code: prove itself exits 130 (recorded as `exitCode` in its summary.json). `npm run` then ends
// by the same SIGINT it received (npm re-raises the signal after its child exits), so the spawned npm
// process reports signal SIGINT; a shell running `npm run prove` shows 130 for both.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ProveResult } from "../../prove/report";
import { writeStackConfig } from "../../scripts/bench-stack";
import { LOCAL_PASSPHRASE, REPO_ROOT, toolchainEnv } from "../../scripts/engine";
import { listStackObjects, removeStackObjects } from "../../scripts/stack-objects";

const STACK = "prove-sigint";
// Below the kernel's ephemeral range (32768-60999 here): a client connection of an earlier suite can hold a
// port in that range as its local port, and Docker then cannot publish it (seen in CI: 58080 "address
// already in use" right after the dev-ci prove run).
const PORTS = { gatewayHostPort: 28080, prometheusHostPort: 29090, alertmanagerHostPort: 29093 };
/** Build, up (images may be built), E2E (~1 min), a few seconds of load, destroy. */
const RUN_TIMEOUT_MS = 900_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** ms from SIGINT to the exit of the process group's leader. */
  stopMs: number;
}

describe("npm run prove, interrupted by Ctrl-C during the load phase", function () {
  this.timeout(RUN_TIMEOUT_MS + 60_000);
  const stackFile = path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`);
  const stackFileExisted = fs.existsSync(stackFile);
  let state: string;
  let reports: string;
  let run: Run;
  let summary: ProveResult;

  before(async function () {
    this.timeout(RUN_TIMEOUT_MS + 60_000);
    if (!stackFileExisted) writeStackConfig(stackFile, PORTS);
    await removeStackObjects(STACK); // what an earlier interrupted test run left
    state = fs.mkdtempSync(path.join(os.tmpdir(), "pg-prove-sigint-state-"));
    fs.mkdirSync(path.join(REPO_ROOT, "reports"), { recursive: true });
    reports = fs.mkdtempSync(path.join(REPO_ROOT, "reports", "prove-sigint-"));
    const child = spawn(
      "npm",
      [
        "run",
        "--silent",
        "prove",
        "--",
        "--stack",
        STACK,
        "--profiles",
        "rate,burst",
        "--duration",
        "60s",
        "--chaos",
        "none",
        "--report-dir",
        reports,
      ],
      {
        cwd: REPO_ROOT,
        // Its own process group, so that the SIGINT goes to every process of it, as a terminal's Ctrl-C.
        detached: true,
        env: {
          ...process.env,
          ...toolchainEnv(),
          PULUMI_BACKEND_URL: `file://${state}`,
          PULUMI_CONFIG_PASSPHRASE: LOCAL_PASSPHRASE,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    run = await interruptDuringLoad(child);
    const dirs = fs.readdirSync(reports).filter((d) => d.endsWith(`-prove-${STACK}`));
    assert.equal(dirs.length, 1, `one prove run in ${reports}:\n${run.output.slice(-4000)}`);
    summary = JSON.parse(fs.readFileSync(path.join(reports, dirs[0], "summary.json"), "utf8")) as ProveResult;
  });

  after(async () => {
    if (!stackFileExisted) fs.rmSync(stackFile, { force: true });
    if (state) fs.rmSync(state, { recursive: true, force: true });
    await removeStackObjects(STACK);
  });

  it("exits 130 (npm ends by the SIGINT it relayed) after the teardown", () => {
    assert.equal(summary.exitCode, 130, run.output.slice(-4000));
    assert.equal(summary.interrupted, "SIGINT");
    assert.ok(run.code === 130 || run.signal === "SIGINT", `npm exit ${run.code} / ${run.signal}`);
  });

  it("stopped the load phase, skipped the rest, and ran the destroy", () => {
    const status = Object.fromEntries(summary.phases.map((p) => [p.name, p.status]));
    assert.deepEqual(status, {
      up: "passed",
      e2e: status.e2e, // its gates are 10-e2e's business; it ran to the end before the load
      "load rate": "interrupted",
      "load burst": "skipped",
      destroy: "passed",
    });
    assert.match(run.output, /phase 5\/5 destroy: passed/);
    const destroy = summary.phases.find((p) => p.kind === "destroy")!;
    assert.deepEqual(
      destroy.gates.map((g) => [g.name, g.passed]),
      [
        ["engine destroy succeeds", true],
        [`nothing labelled proving-ground.stack=${STACK} remains (Docker API)`, true],
        ["stack removed from the backend", true],
      ],
    );
    assert.ok(
      summary.resources.destroy.length >= 10,
      `${summary.resources.destroy.length} resources deleted`,
    );
  });

  it("left no container, network or volume labelled with the stack", async () => {
    assert.deepEqual(await listStackObjects(STACK), { containers: [], networks: [], volumes: [] });
  });

  it("removed the stack from the backend", () => {
    const stacks = path.join(state, ".pulumi", "stacks", "proving-ground");
    const files = fs.existsSync(stacks) ? fs.readdirSync(stacks) : [];
    assert.deepEqual(
      files.filter((f) => f === `${STACK}.json` || f === `${STACK}.json.attrs`),
      [],
      `${files.join(", ")}`,
    );
    assert.ok(files.includes(`${STACK}.json.bak`), "the stack was never in this backend");
  });
});

/** Waits for the load phase's start line, sends SIGINT to the process group, waits for the exit. */
function interruptDuringLoad(child: ChildProcess): Promise<Run> {
  return new Promise((resolve, reject) => {
    let output = "";
    let sentAt = 0;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, "SIGKILL");
      reject(new Error(`prove did not finish within ${RUN_TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`));
    }, RUN_TIMEOUT_MS);
    const keep = (b: Buffer) => {
      output += b.toString();
      if (process.env.TEST_VERBOSE) process.stderr.write(b);
      if (!sentAt && /phase \d+\/\d+ load rate: started/.test(output)) {
        sentAt = Date.now();
        // A few seconds into the profile, so that the load is really running.
        setTimeout(() => process.kill(-child.pid!, "SIGINT"), 5000);
      }
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (!sentAt)
        reject(new Error(`prove ended before its load phase (exit ${code}):\n${output.slice(-4000)}`));
      else resolve({ code, signal, output, stopMs: Date.now() - sentAt - 5000 });
    });
  });
}
