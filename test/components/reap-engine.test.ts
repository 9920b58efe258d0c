// `npm run reap` end to end with the real Pulumi CLI and engine: two throwaway stacks of a tiny program (a
// random pet and a docker network labelled proving-ground.stack=<stack>) in a temp file backend, one
// past its expiry, one not. The program's project is named proving-ground, so `npm run reap` lists and
// destroys them from this repository exactly as it does the project's own stacks (a destroy does not run
// the program). A dry run destroys nothing; --yes destroys the expired one (its network is gone, it is
// gone from the backend, no Pulumi.<stack>.yaml is left in the repository) and keeps the other.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { STACK_LABEL } from "../../components/common";
import { engineEnv, openStack, REPO_ROOT, removeStack, toolchainEnv } from "../../scripts/engine";
import { getExpiry, setExpiry } from "../../scripts/stack-expiry";
import { listStackObjects, removeStackObjects } from "../../scripts/stack-objects";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as random from "@pulumi/random";

const stack = pulumi.getStack();
new random.RandomPet("suffix", { length: 2 });
new docker.Network("net", {
  name: \`\${stack}-net\`,
  labels: [{ label: "${STACK_LABEL}", value: stack }],
});
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run reap -- <args>` as a user (or cron) runs it: no backend or passphrase in the environment. */
function npmReap(args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.PULUMI_BACKEND_URL;
  delete env.PULUMI_CONFIG_PASSPHRASE;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", "reap", "--", ...args], { cwd: REPO_ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("npm run reap with the real engine (throwaway stacks in a temp backend)", function () {
  this.timeout(300_000);
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const expired = `pg-reap-old-${suffix}`;
  const kept = `pg-reap-new-${suffix}`;
  let tmp: string;
  let stateDir: string;
  let backend: string;
  const stacks: Record<string, Stack> = {};

  const stackNames = async () =>
    (
      await LocalWorkspace.create({
        workDir: REPO_ROOT,
        envVars: engineEnv({ stack: kept, stateDir }),
      }).then((ws) => ws.listStacks())
    )
      .map((s) => s.name)
      .sort();
  const networks = async (stack: string) => (await listStackObjects(stack)).networks;

  before(async () => {
    // No Pulumi CLI is a failure with toolchain.sh's install help, never a skip.
    toolchainEnv();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-reap-engine-"));
    stateDir = path.join(tmp, "state");
    backend = `file://${stateDir}`;
    const program = path.join(tmp, "program");
    fs.mkdirSync(program);
    fs.writeFileSync(
      path.join(program, "Pulumi.yaml"),
      "name: proving-ground\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
    );
    fs.writeFileSync(path.join(program, "index.ts"), PROGRAM);
    fs.writeFileSync(path.join(program, "package.json"), '{ "name": "pg-reap-engine", "private": true }\n');
    fs.copyFileSync(
      path.join(REPO_ROOT, "test", "fixtures", "preview-events", "program", "tsconfig.json"),
      path.join(program, "tsconfig.json"),
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(program, "node_modules"));

    for (const name of [expired, kept])
      stacks[name] = await openStack({ stack: name, stateDir, workDir: program });
    // The expiry is set before `up` on one stack and after it on the other: an update keeps the tag.
    await setExpiry(stacks[expired], new Date(Date.now() - 60_000));
    await Promise.all([expired, kept].map((name) => stacks[name].up({ color: "never" })));
    await setExpiry(stacks[kept], new Date(Date.now() + 3_600_000));
  });

  after(async () => {
    for (const stack of Object.values(stacks)) {
      try {
        if ((await stackNames()).includes(stack.name)) {
          await stack.destroy({ color: "never" });
          await removeStack(stack);
        }
      } catch {
        // what is left is removed below
      }
    }
    for (const name of [expired, kept]) await removeStackObjects(name);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("both stacks are deployed with their expiry, and the tag survived the update", async () => {
    assert.deepEqual(await stackNames(), [kept, expired].sort());
    assert.ok((await getExpiry(stacks[expired]))!.getTime() < Date.now());
    assert.ok((await getExpiry(stacks[kept]))!.getTime() > Date.now());
    assert.deepEqual(await networks(expired), [`${expired}-net`]);
    assert.deepEqual(await networks(kept), [`${kept}-net`]);
  });

  it("a dry run (the default) lists both, marks the expired one, and destroys nothing", async () => {
    const r = await npmReap(["--backend", backend]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /dry run \(the default\), nothing is destroyed/);
    assert.match(r.stdout, new RegExp(`^${expired} +\\S+Z +EXPIRED [\\dhms ]+ ago`, "m"));
    assert.match(r.stdout, new RegExp(`^${kept} +\\S+Z +expires in \\d+m`, "m"));
    assert.match(r.stdout, new RegExp(`^reap: ${expired}: would be destroyed \\(expired`, "m"));
    assert.match(r.stdout, new RegExp(`^reap: ${kept}: kept \\(expires in`, "m"));
    assert.match(r.stdout, /^reap: dry run: 1 of 2 stacks expired; run with --yes to destroy it$/m);
    // --now: what would be reaped two hours from now (both), still without destroying anything.
    const later = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const r2 = await npmReap(["--backend", backend, "--dry-run", "--now", later]);
    assert.equal(r2.status, 0, r2.stderr + r2.stdout);
    assert.match(r2.stdout, /^reap: dry run: 2 of 2 stacks expired; run with --yes to destroy them$/m);
    assert.deepEqual(await stackNames(), [kept, expired].sort());
    assert.deepEqual(await networks(expired), [`${expired}-net`]);
  });

  it("--yes destroys the expired stack, finds nothing of it on Docker, removes it, keeps the other", async () => {
    const r = await npmReap(["--backend", backend, "--yes"]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(
      r.stdout,
      new RegExp(
        `^reap: ${expired}: destroyed \\(\\d+ resources deleted\\), nothing labelled ${STACK_LABEL}=${expired} left, removed from the backend$`,
        "m",
      ),
    );
    assert.match(r.stdout, new RegExp(`^reap: ${kept}: kept \\(expires in`, "m"));
    assert.match(r.stdout, /^reap: 1 of 1 expired stacks destroyed and removed$/m);
    assert.deepEqual(await stackNames(), [kept]);
    assert.deepEqual(await listStackObjects(expired), { containers: [], networks: [], volumes: [] });
    assert.deepEqual(await networks(kept), [`${kept}-net`]);
    // The destroy ran on this repository's project: a stack file the CLI wrote there is removed again.
    assert.equal(fs.existsSync(path.join(REPO_ROOT, `Pulumi.${expired}.yaml`)), false);
  });
});
