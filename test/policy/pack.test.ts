// The policy pack as the Pulumi CLI loads it: compiled on its own (policy/tsconfig.json) into a
// directory with PulumiPolicy.yaml and package.json, the entry point present and the rules intact.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { policies } from "../../policy/policies";

const REPO = path.resolve(__dirname, "..", "..");

describe("policy pack build", function () {
  this.timeout(60000);
  let out: string;
  before(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "pg-policy-pack-"));
    execFileSync(
      process.execPath,
      [
        require.resolve("typescript/bin/tsc"),
        "-p",
        path.join(REPO, "policy", "tsconfig.json"),
        "--outDir",
        out,
      ],
      { stdio: "pipe" },
    );
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it("compiles standalone to index.js next to the rules", () => {
    for (const f of ["index.js", "policies.js", "rules.js"]) assert.ok(fs.existsSync(path.join(out, f)), f);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "policy", "package.json"), "utf8"));
    // No `main`: Node's default entry, index.js once compiled (the CLI runs index.ts in place).
    assert.equal(pkg.main ?? "index.js", "index.js");
    assert.deepEqual(pkg.dependencies ?? {}, {}, "resolves @pulumi/policy from the repository");
    assert.equal(
      parse(fs.readFileSync(path.join(REPO, "policy", "PulumiPolicy.yaml"), "utf8")).runtime,
      "nodejs",
    );
  });

  it("the compiled rules are the tested ones", () => {
    const compiled = require(path.join(out, "policies.js")).policies as {
      name: string;
      enforcementLevel: string;
    }[];
    assert.deepEqual(
      compiled.map((p) => [p.name, p.enforcementLevel]),
      policies.map((p) => [p.name, p.enforcementLevel]),
    );
  });
});
