// `npm run validate` as a user runs it: clear errors and exit code 2 for a missing or unhealthy stack,
// exit 1 naming the failed gate and by how much, 0 when everything passes, a report either way.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../tooling/local/ports";
import { startValidationStack, ValidationStack } from "../../loadtests/validation-stack";
import { ensureBuilt } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");

function validate(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "loadtests/cli.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (out += b));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("loadtests: validate CLI", function () {
  this.timeout(120000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-validate-cli-"));
  let stack: ValidationStack;
  let outputsFile: string;
  let tokens: string;

  before(async function () {
    ensureBuilt();
    stack = await startValidationStack();
    outputsFile = path.join(tmp, "outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify(stack.outputs));
    tokens = Object.entries(stack.e2e.tenantTokens!)
      .map(([t, k]) => `${t}:${k}`)
      .join(",");
  });
  after(async () => {
    await stack?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("bad usage exits 2 with the usage text", async () => {
    const r = await validate(["bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.out, /first argument must be e2e, load, soak or all, got "bogus"/);
    assert.match(r.out, /--outputs <file.json>/);
  });

  it("a missing outputs file exits 2 and says how to make one", async () => {
    const r = await validate(["e2e", "--outputs", path.join(tmp, "nope.json")]);
    assert.equal(r.code, 2);
    assert.match(
      r.out,
      /nope\.json does not exist \(write it with `pulumi stack output --json --show-secrets/,
    );
  });

  it("outputs with missing keys exit 2 naming each key", async () => {
    const f = path.join(tmp, "partial.json");
    fs.writeFileSync(f, JSON.stringify({ gatewayUrl: stack.outputs.gatewayUrl }));
    const r = await validate(["e2e", "--outputs", f]);
    assert.equal(r.code, 2);
    for (const k of [
      "natsHostUrls",
      "natsUser",
      "natsPassword",
      "natsMonitorUrls",
      "routerMetricsUrls",
      "chaosTargets",
    ]) {
      assert.match(r.out, new RegExp(`missing key "${k}"`));
    }
  });

  it("a gateway that does not answer exits 2 (not healthy)", async () => {
    const f = path.join(tmp, "down.json");
    fs.writeFileSync(
      f,
      JSON.stringify({ ...stack.outputs, gatewayUrl: `http://127.0.0.1:${await freePort()}` }),
    );
    const r = await validate(["load", "--outputs", f]);
    assert.equal(r.code, 2);
    assert.match(r.out, /gateway http:\/\/127\.0\.0\.1:\d+\/health is not reachable/);
  });

  it("E2E checks through the CLI pass and exit 0", async () => {
    const r = await validate(
      [
        "e2e",
        "--outputs",
        outputsFile,
        "--only",
        "errors.gateway.,subjects.decide",
        "--report-dir",
        tmp,
        "--gateway-timeout-ms",
        "3000",
      ],
      {
        BEAMLINE_TENANT_TOKENS: tokens,
      },
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /PASSED: E2E 12\/12 passed/);
  });

  it("uses the stack's tenantTokens output when no tokens are given (a deployed stack exports them)", async () => {
    const f = path.join(tmp, "with-tokens.json");
    fs.writeFileSync(f, JSON.stringify({ ...stack.outputs, tenantTokens: stack.e2e.tenantTokens }));
    const r = await validate([
      "e2e",
      "--outputs",
      f,
      "--only",
      "errors.gateway.unauthorized,errors.gateway.foreign-token",
      "--report-dir",
      tmp,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /PASSED: E2E 2\/2 passed/);
    assert.doesNotMatch(r.out, /open mode/, "the token checks ran for real");
  });

  it("a failed gate exits 1 and says which gate and by how much; the report is still written", async () => {
    const r = await validate([
      "load",
      "--outputs",
      outputsFile,
      "--profile",
      "errors",
      "--duration",
      "3s",
      "--no-baseline",
      "--gate",
      "errors.http_5xx=-1",
      "--report-dir",
      tmp,
      "--tenant-tokens",
      tokens,
    ]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /gate errors\.http_5xx: http_5xx 0 violates == -1 by 1/);
    const runs = fs.readdirSync(tmp).filter((d) => fs.existsSync(path.join(tmp, d, "summary.json")));
    assert.ok(runs.length >= 2, "both CLI runs left a report");
    assert.ok(fs.existsSync(path.join(tmp, "index.html")));
  });
});
