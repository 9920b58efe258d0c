// scripts/toolchain.sh's choice of Pulumi CLI, with stand-in `pulumi` scripts in temporary folders: a
// pulumi on PATH wins; else the shared toolchain's install.sh; else a toolchain an earlier run installed;
// else exit 1 with install instructions.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "toolchain.sh");
// bash, dirname and the coreutils, but no pulumi.
const BASE_PATH = "/usr/bin:/bin";

function fakePulumi(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\necho v3.248.0\n", { mode: 0o755 });
  return dir;
}

function run(env: Record<string, string>): {
  code: number | null;
  vars: Record<string, string>;
  err: string;
} {
  const r = spawnSync("bash", [SCRIPT], { env: { HOME: os.tmpdir(), ...env }, encoding: "utf8" });
  const vars = Object.fromEntries(
    r.stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { code: r.status, vars, err: r.stderr };
}

describe("scripts/toolchain.sh", () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-toolchain-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("uses a pulumi already on PATH as it is (no PATH change, downloads allowed)", () => {
    const own = fakePulumi(path.join(tmp, "own"));
    const r = run({
      PATH: `${own}:${BASE_PATH}`,
      PULUMI_SHARED_TOOLCHAIN: path.join(tmp, "none.sh"),
      PULUMI_TOOLCHAIN_DIR: path.join(tmp, "cache"),
    });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.vars, { PULUMI_SKIP_UPDATE_CHECK: "true" });
  });

  it("otherwise installs from the shared toolchain and puts its folder first on PATH, downloads off", () => {
    const bin = fakePulumi(path.join(tmp, "installed", "pulumi"));
    const install = path.join(tmp, "install.sh");
    fs.writeFileSync(install, `echo "$1" > ${tmp}/dest; echo ${bin}\n`);
    const r = run({
      PATH: BASE_PATH,
      PULUMI_SHARED_TOOLCHAIN: install,
      PULUMI_TOOLCHAIN_DIR: path.join(tmp, "cache"),
    });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.vars.PATH, `${bin}:${BASE_PATH}`);
    assert.equal(r.vars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION, "true");
    assert.equal(fs.readFileSync(path.join(tmp, "dest"), "utf8").trim(), path.join(tmp, "cache"));
  });

  it("fails naming the shared install script when it fails", () => {
    const install = path.join(tmp, "install.sh");
    fs.writeFileSync(install, "echo 'checksum mismatch' >&2; exit 3\n");
    const r = run({ PATH: BASE_PATH, PULUMI_SHARED_TOOLCHAIN: install, PULUMI_TOOLCHAIN_DIR: tmp });
    assert.equal(r.code, 1);
    assert.match(r.err, /checksum mismatch/);
    assert.match(r.err, /install\.sh failed/);
  });

  it("without either, uses a toolchain an earlier run installed", () => {
    const cache = path.join(tmp, "cache");
    const bin = fakePulumi(path.join(cache, "pulumi"));
    const r = run({
      PATH: BASE_PATH,
      PULUMI_SHARED_TOOLCHAIN: path.join(tmp, "none.sh"),
      PULUMI_TOOLCHAIN_DIR: cache,
    });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.vars.PATH, `${bin}:${BASE_PATH}`);
  });

  it("with nothing at all, exits 1 and says how to install Pulumi", () => {
    const r = run({
      PATH: BASE_PATH,
      PULUMI_SHARED_TOOLCHAIN: path.join(tmp, "none.sh"),
      PULUMI_TOOLCHAIN_DIR: path.join(tmp, "cache"),
    });
    assert.equal(r.code, 1);
    assert.deepEqual(r.vars, {});
    assert.match(r.err, /get\.pulumi\.com/);
  });
});
