// Secrets never in plain text: the NATS password and the gateway's tenant tokens, taken from the engine's
// outputs of the deployed stack, are searched for in the engine's state (every file of the local backend,
// which may hold them only encrypted), in every container's logs (Docker API), in every file this run
// wrote under reports/, in the stack file, in the engine's output of `up`, and in the outputs that are not
// marked secret. A failure names the file, container or output where a value was found.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { OutputMap } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { STACK_LABEL } from "../../components/common";
import { demuxDockerLogs } from "../../tooling/drivers/docker";
import { REPO_ROOT } from "../../scripts/engine";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  deployedStackEnv,
  getDeployedStack,
  getDeployReport,
  getEngineStack,
  STATE_DIR,
} from "../support/deployed-stack";

/** Pulumi's marker of a secret value in state and in the engine's outputs. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** When this mocha process started: reports written since then are this run's. */
const RUN_STARTED_MS = Date.now() - process.uptime() * 1000;

interface Secret {
  what: string;
  value: string;
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.isFile() ? [p] : [];
  });
}

/** File content as the bytes a reader sees (gzip-compressed state is unpacked). */
function readAll(file: string): Buffer {
  const raw = fs.readFileSync(file);
  return file.endsWith(".gz") ? zlib.gunzipSync(raw) : raw;
}

/** "<where>: <which secret>" for every secret value found in `text`. */
function findings(where: string, text: Buffer | string, secrets: Secret[]): string[] {
  const buf = typeof text === "string" ? Buffer.from(text) : text;
  return secrets.filter((s) => buf.includes(s.value)).map((s) => `${where}: ${s.what}`);
}

describe("secrets are never in plain text (deployed stack)", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  const docker = new Docker();
  let outputs: OutputMap;
  let secrets: Secret[];

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS);
    await getDeployedStack();
    outputs = await (await getEngineStack()).outputs();
    const tokens = (outputs.tenantTokens?.value ?? {}) as Record<string, string>;
    secrets = [
      { what: "natsPassword", value: String(outputs.natsPassword?.value ?? "") },
      ...Object.entries(tokens).map(([tenant, value]) => ({ what: `tenantTokens.${tenant}`, value })),
    ];
    // Short values would match by accident and prove nothing.
    for (const s of secrets) assert.ok(s.value.length >= 16, `${s.what} is too short to search for`);
  });

  it("marks natsPassword and tenantTokens secret, and no other output holds a secret value", async () => {
    assert.equal(outputs.natsPassword?.secret, true, "natsPassword is not marked secret");
    assert.ok(outputs.tenantTokens, `stack ${DEPLOYED_STACK} configures tenant tokens, so it exports them`);
    assert.equal(outputs.tenantTokens.secret, true, "tenantTokens is not marked secret");
    assert.ok(secrets.length > 1);
    const found = Object.entries(outputs)
      .filter(([, o]) => !o.secret)
      .flatMap(([k, o]) => findings(`output ${k}`, JSON.stringify(o.value), secrets));
    assert.deepEqual(found, []);
    // What a user sees without --show-secrets.
    const { stdout } = await promisify(execFile)(
      "pulumi",
      ["stack", "output", "--json", "--stack", DEPLOYED_STACK],
      { cwd: REPO_ROOT, env: deployedStackEnv(), maxBuffer: 16 * 1024 * 1024 },
    );
    const shown = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(shown.natsPassword, "[secret]");
    assert.equal(shown.tenantTokens, "[secret]");
    assert.deepEqual(findings("`pulumi stack output --json`", stdout, secrets), []);
  });

  it("the engine's state holds the secrets only encrypted", () => {
    const files = walk(STATE_DIR);
    const checkpoint = files.find((f) =>
      new RegExp(`[/\\\\]stacks[/\\\\]proving-ground[/\\\\]${DEPLOYED_STACK}\\.json(\\.gz)?$`).test(f),
    );
    assert.ok(checkpoint, `no checkpoint of ${DEPLOYED_STACK} under ${STATE_DIR}`);
    assert.deepEqual(
      files.flatMap((f) => findings(path.relative(REPO_ROOT, f), readAll(f), secrets)),
      [],
      `searched ${files.length} files under ${STATE_DIR}`,
    );
    // The stack's own outputs are stored as ciphertext objects.
    const state = JSON.parse(readAll(checkpoint).toString("utf8")) as {
      checkpoint: { latest: { resources: { type: string; outputs?: Record<string, unknown> }[] } };
    };
    const stackOutputs = state.checkpoint.latest.resources.find(
      (r) => r.type === "pulumi:pulumi:Stack",
    )?.outputs;
    for (const k of ["natsPassword", "tenantTokens"]) {
      const v = stackOutputs?.[k] as Record<string, unknown> | undefined;
      assert.equal(v?.[SECRET_SIG_KEY], SECRET_SIG, `${k} is not stored as a secret`);
      assert.match(String(v?.ciphertext), /^v1:/, `${k} has no ciphertext`);
    }
  });

  it("the stack file and the engine's output of `up` hold no secret value", async () => {
    const stackFile = path.join(REPO_ROOT, `Pulumi.${DEPLOYED_STACK}.yaml`);
    assert.deepEqual(
      [
        ...findings(path.basename(stackFile), fs.readFileSync(stackFile), secrets),
        ...findings("the engine's output of `up`", (await getDeployReport()).log, secrets),
      ],
      [],
    );
  });

  it("no container of the stack logs a secret value (Docker API)", async () => {
    const containers = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${STACK_LABEL}=${DEPLOYED_STACK}`] }),
    });
    assert.ok(containers.length >= 5, `only ${containers.length} containers`);
    const found: string[] = [];
    for (const c of containers) {
      const logs = (await docker
        .getContainer(c.Id)
        .logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      const text = demuxDockerLogs(logs);
      found.push(...findings(`logs of ${c.Names[0].replace(/^\//, "")}`, text, secrets));
      // The raw stream too, in case a value straddles a frame header.
      found.push(...findings(`raw logs of ${c.Names[0].replace(/^\//, "")}`, logs, secrets));
    }
    assert.deepEqual([...new Set(found)], []);
  });

  it("no file this run wrote under reports/ holds a secret value", () => {
    const files = walk(path.join(REPO_ROOT, "reports")).filter(
      (f) => fs.statSync(f).mtimeMs >= RUN_STARTED_MS,
    );
    process.stderr.write(`      searched ${files.length} report files written by this run\n`);
    assert.deepEqual(
      files.flatMap((f) => findings(path.relative(REPO_ROOT, f), readAll(f), secrets)),
      [],
    );
  });
});
