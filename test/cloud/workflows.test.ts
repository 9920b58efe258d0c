// GitHub workflows: schema-checked with action-validator (the WASM build of the actionlint-equivalent
// schema check), then the properties this project relies on: previews per stack with the policy pack
// and a sticky PR comment, a soak that always destroys, CI through .ci/run.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { validateWorkflow } from "@action-validator/core";

const REPO = path.resolve(__dirname, "..", "..");
const DIR = path.join(REPO, ".github", "workflows");
const load = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> };
const steps = (wf: any, job: string): Step[] => wf.jobs[job].steps;
const pulumiSteps = (s: Step[]) => s.filter((x) => x.uses?.startsWith("pulumi/actions@"));

describe("GitHub workflows", () => {
  const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

  it("has ci, preview and soak workflows", () => {
    assert.deepEqual(files.sort(), ["ci.yml", "preview.yml", "soak.yml"]);
  });

  for (const f of ["ci.yml", "preview.yml", "soak.yml"]) {
    it(`${f} passes the workflow schema check with no errors`, () => {
      const state = validateWorkflow(load(f));
      assert.deepEqual(state.errors, [], JSON.stringify(state.errors, null, 2));
    });
  }

  it("the schema check rejects a broken workflow (the validator is live)", () => {
    const broken = "name: x\non: pushh\njobs:\n  a:\n    steps:\n      - run: echo\n";
    assert.ok(validateWorkflow(broken).errors.length > 0);
  });

  it("ci.yml runs .ci/run", () => {
    const wf = parse(load("ci.yml"));
    assert.ok(steps(wf, "ci").some((s) => s.run?.trim() === "bash .ci/run"));
  });

  it("preview.yml previews every stack file with the policy pack and posts the summary as a sticky PR comment", () => {
    const wf = parse(load("preview.yml"));
    assert.ok(wf.on.pull_request);
    const stacks: string[] = wf.jobs.preview.strategy.matrix.stack;
    for (const st of stacks)
      assert.ok(fs.existsSync(path.join(REPO, `Pulumi.${st}.yaml`)), `Pulumi.${st}.yaml exists`);
    // Every stack file of a cloud target is previewed (CI-only docker stacks need local images, and
    // kube-local, k8sHostIsNode, needs the cluster scripts/kube-local.sh runs on the CI machine itself).
    const cloudStacks = fs
      .readdirSync(REPO)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((st): st is string => !!st)
      .filter((st) => {
        const config = parse(fs.readFileSync(path.join(REPO, `Pulumi.${st}.yaml`), "utf8"))?.config;
        const target = config?.["proving-ground:target"];
        return (
          target === "aws" || (target === "kubernetes" && config?.["proving-ground:k8sHostIsNode"] !== true)
        );
      });
    assert.deepEqual(cloudStacks.sort(), ["k8s", "prod"]);
    for (const st of [...cloudStacks, "dev"]) assert.ok(stacks.includes(st), `${st} is previewed`);
    // The CLI from pulumi/actions (install only), the preview through `npm run preview -- --summary`
    // with the policy pack, and that summary as the sticky comment even when the preview failed.
    const s = steps(wf, "preview");
    const [cli] = pulumiSteps(s);
    assert.equal(cli.with?.command, undefined, "pulumi/actions only installs the CLI");
    const idx = (pred: (x: Step) => boolean) => s.findIndex(pred);
    const preview = idx((x) => !!x.run?.includes("npm run preview --"));
    const run = s[preview]?.run ?? "";
    assert.match(run, /--stack "\$\{\{ matrix\.stack \}\}"/);
    assert.match(run, /--summary "\$SUMMARY"/);
    assert.match(run, /--policy-pack build\/policy-pack/);
    assert.equal((s[preview] as { "continue-on-error"?: boolean })["continue-on-error"], true);
    const comment = idx((x) => !!x.uses?.startsWith("actions/github-script@"));
    assert.ok(preview > idx((x) => x === cli) && comment > preview, "step order");
    assert.equal(s[comment].if, "always()");
    const script = String(s[comment].with?.script);
    assert.match(script, /process\.env\.SUMMARY/);
    assert.match(script, /updateComment/, "edits its previous comment (sticky)");
    const fail = s[s.length - 1];
    assert.equal(fail.if, "steps.preview.outcome == 'failure'", "a failed preview still fails the check");
    assert.match(wf.jobs.preview.env.SUMMARY, /\$\{\{ github\.workspace \}\}\/build\//);
    assert.match(
      wf.jobs.preview.env.PULUMI_BACKEND_URL,
      /vars\.PULUMI_BACKEND_URL \|\| 'https:\/\/api\.pulumi\.com'/,
    );
    assert.ok(s.some((x) => x.run?.includes("npx tsc -p policy/tsconfig.json")));
    assert.equal(wf.permissions["pull-requests"], "write");
  });

  it("soak.yml brings a stack up, runs validation and chaos, uploads reports and always destroys", () => {
    const wf = parse(load("soak.yml"));
    assert.ok(wf.on.workflow_dispatch && wf.on.schedule);
    const s = steps(wf, "soak");
    const idx = (pred: (x: Step) => boolean) => s.findIndex(pred);
    const up = idx((x) => x.with?.command === "up");
    const validate = idx((x) => !!x.run?.includes("npm run validate"));
    const chaos = idx((x) => !!x.run?.includes("npm run chaos"));
    const upload = idx((x) => !!x.uses?.startsWith("actions/upload-artifact@"));
    const destroy = idx((x) => x.with?.command === "destroy");
    assert.ok(
      up >= 0 && up < validate && validate < chaos && chaos < upload && upload < destroy,
      "step order",
    );
    assert.equal(s[upload].if, "always()");
    assert.equal(s[destroy].if, "always()");
    assert.equal(destroy, s.length - 1, "destroy is the last step");
    assert.equal(s[up].with?.policyPacks, "build/policy-pack");
    assert.match(
      String(s[upload].with?.path),
      /!reports\/outputs\.json/,
      "the secret-bearing outputs stay out of artifacts",
    );
    assert.equal(
      wf.concurrency["cancel-in-progress"],
      false,
      "a running soak is never cancelled before destroy",
    );
  });
});
