// `npm run preview -- --summary` end to end with the real Pulumi CLI and engine, on the small fixture
// program of test/fixtures/preview-events (the project's own stacks build images during a preview): the
// `pulumi` on PATH is the real CLI with `--cwd <fixture program>` added, everything else is
// scripts/pulumi.sh as users run it (stand-ins only for `docker info` and `npm run build`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT, toolchainEnv } from "../../scripts/engine";
import { parseEventLog, previewFacts } from "../../scripts/preview-summary";

const FIXTURE = path.join(REPO_ROOT, "test", "fixtures", "preview-events");

describe("npm run preview -- --summary with the real engine (fixture program)", function () {
  this.timeout(180_000);
  let tmp: string;
  let env: Record<string, string>;

  before(() => {
    // No Pulumi CLI is a failure with toolchain.sh's install help, never a skip.
    const toolchain = toolchainEnv();
    const real = spawnSync("bash", ["-c", "command -v pulumi"], {
      env: { ...process.env, ...toolchain },
      encoding: "utf8",
    }).stdout.trim();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-preview-summary-engine-"));
    for (const dir of ["program", "policy"]) {
      fs.cpSync(path.join(FIXTURE, dir), path.join(tmp, dir), { recursive: true });
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(tmp, dir, "node_modules"));
    }
    const bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\nexec "${real}" "$@" --cwd "${tmp}/program"\n`, {
      mode: 0o755,
    });
    for (const cmd of ["docker", "npm"])
      fs.writeFileSync(path.join(bin, cmd), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    env = {
      ...(process.env as Record<string, string>),
      ...toolchain,
      PATH: `${bin}:${toolchain.PATH ?? process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${tmp}/state`,
      PULUMI_CONFIG_PASSPHRASE: "x",
    };
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it("a mandatory policy violation: the preview fails, the summary names both violations and the creates", () => {
    const out = path.join(tmp, "summary.md");
    const r = spawnSync(
      "bash",
      [
        path.join(REPO_ROOT, "scripts", "pulumi.sh"),
        "preview",
        "--stack",
        "ci",
        "--summary",
        out,
        "--policy-pack",
        path.join(tmp, "policy"),
        "--config",
        "preview-events:internal=false",
      ],
      { env, encoding: "utf8" },
    );
    assert.notEqual(r.status, 0, "a mandatory violation fails the preview");
    // The human diff still goes to the terminal.
    assert.match(r.stdout, /\+ docker:index\/network:Network: \(create\)/);
    const md = fs.readFileSync(out, "utf8");
    assert.match(
      md,
      /^### Pulumi preview of `ci`\n\n\*\*Preview failed\*\* \(exit code \d+\): 1 mandatory policy violation\./,
    );
    assert.match(md, /\| create \| 6 \|/);
    assert.match(
      md,
      /\| \*\*mandatory\*\* \| `networks-internal` \| `preview-events-policy@0\.0\.1` \| `docker:index\/network:Network` `backend` \|/,
    );
    assert.match(md, /\| advisory \| `tokens-long` \|/);
    assert.match(md, /\| create \| `random:index\/randomPet:RandomPet` \| `suffix` \|/);
    // The same facts as the recorded fixture of this scenario (record.ts records it the same way).
    const recorded = previewFacts(parseEventLog(fs.readFileSync(path.join(FIXTURE, "policy.jsonl"), "utf8")));
    assert.deepEqual(
      [...md.matchAll(/^\| create \| `([^`]+)` \| `([^`]+)` \|/gm)].map((m) => `${m[1]}::${m[2]}`),
      recorded.changes.map((c) => `${c.type}::${c.name.replace("fresh", "ci")}`),
    );
  });
});
