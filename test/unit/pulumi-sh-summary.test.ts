// scripts/pulumi.sh's `--stack` and `--summary` flags with stand-in `pulumi`, `docker` and `npm` scripts:
// the arguments the CLI gets, the summary written from the event log (also for a failed preview, whose exit
// code passes through), and clear errors. The real CLI on the same path: test/components/preview-summary-engine.test.ts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEventLog, renderPreviewSummary } from "../../scripts/preview-summary";

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURES = path.join(REPO, "test", "fixtures", "preview-events");

// A pulumi that logs its arguments, answers `preview --help` like 3.248 (the --event-log debug flag only
// with PULUMI_DEBUG_COMMANDS) and for `preview` writes $FAKE_EVENTS to the --event-log file, exiting $FAKE_RC.
const FAKE_PULUMI = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [[ "$1" == version ]]; then echo v3.248.0; exit 0; fi
if [[ "$1 $2" == "preview --help" ]]; then
  [[ -n "$PULUMI_DEBUG_COMMANDS" && -z "$FAKE_NO_EVENT_LOG" ]] && echo "      --event-log string   Log events to a file at this path"
  exit 0
fi
if [[ "$1" == preview ]]; then
  while (($#)); do
    if [[ "$1" == --event-log ]]; then cp "$FAKE_EVENTS" "$2"; fi
    shift
  done
  exit "\${FAKE_RC:-0}"
fi
exit 0
`;

describe("scripts/pulumi.sh --stack and --summary", function () {
  this.timeout(30_000);
  let tmp: string;
  let bin: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-pulumi-sh-"));
    bin = path.join(tmp, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    // dockerd reachable; `npm run build` done (neither matters to the flags).
    for (const cmd of ["docker", "npm"])
      fs.writeFileSync(path.join(bin, cmd), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function run(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("bash", [path.join(REPO, "scripts", "pulumi.sh"), ...args], {
      cwd: tmp,
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: tmp,
        PULUMI_BACKEND_URL: `file://${tmp}/state`,
        PULUMI_CONFIG_PASSPHRASE: "x",
        FAKE_LOG: path.join(tmp, "calls"),
        FAKE_EVENTS: path.join(FIXTURES, "policy.jsonl"),
        ...env,
      },
    });
    const calls = fs.existsSync(path.join(tmp, "calls"))
      ? fs.readFileSync(path.join(tmp, "calls"), "utf8").trim().split("\n")
      : [];
    return { code: r.status, err: r.stderr, calls };
  }
  const previewCall = (calls: string[]) => calls.find((c) => c.startsWith("preview --stack"));

  it("without --summary the preview is as before: no event log", () => {
    const r = run(["preview", "--policy-pack", "p"], { STACK: "ci" });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.calls, [
      "stack select --create ci --non-interactive",
      "preview --stack ci --diff --policy-pack p",
    ]);
  });

  it("--summary writes the summary of the engine's events, and a failed preview's exit code passes through", () => {
    const r = run(["preview", "--stack", "ci", "--summary", "out/summary.md", "--policy-pack", "p"], {
      FAKE_RC: "255",
      INIT_CWD: tmp,
    });
    fs.mkdirSync(path.join(tmp, "out"), { recursive: true });
    // out/ did not exist: a clear error before any preview.
    assert.equal(r.code, 1);
    assert.match(r.err, /--summary .*out\/summary\.md: no such directory/);

    const ok = run(["preview", "--stack", "ci", "--summary", "out/summary.md", "--policy-pack", "p"], {
      FAKE_RC: "255",
      INIT_CWD: tmp,
    });
    assert.equal(ok.code, 255, ok.err);
    assert.match(previewCall(ok.calls) ?? "", /^preview --stack ci --diff --event-log \S+ --policy-pack p$/);
    const summary = fs.readFileSync(path.join(tmp, "out", "summary.md"), "utf8");
    const events = parseEventLog(fs.readFileSync(path.join(FIXTURES, "policy.jsonl"), "utf8"));
    assert.equal(summary, renderPreviewSummary(events, { exitCode: 255 }));
    assert.match(ok.err, /preview summary written to .*out\/summary\.md/);
    // The event log is a temp file, removed afterwards.
    const log = / --event-log (\S+)/.exec(previewCall(ok.calls)!)![1];
    assert.ok(!fs.existsSync(log), log);
  });

  it("--stack=<s> and --summary=<file> forms, the stack selected is the one previewed", () => {
    const out = path.join(tmp, "s.md");
    const r = run(["preview", "--stack=ci", `--summary=${out}`], {
      FAKE_EVENTS: path.join(FIXTURES, "mixed.jsonl"),
    });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.calls[0], "stack select --create ci --non-interactive");
    assert.match(fs.readFileSync(out, "utf8"), /Preview succeeded: 4 resources to change/);
  });

  it("clear errors: --summary without a file, on up or destroy, an unknown stack, a CLI without --event-log", () => {
    const noFile = run(["preview", "--summary"]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.err, /--summary needs a file: --summary <file\.md>/);
    assert.match(run(["preview", "--summary", "--diff"]).err, /--summary needs a file/);
    const up = run(["up", "--stack", "ci", "--summary", path.join(tmp, "s.md")]);
    assert.equal(up.code, 1);
    assert.match(up.err, /--summary is a preview flag/);
    assert.match(run(["preview", "--stack", "nope"]).err, /no Pulumi\.nope\.yaml/);
    assert.match(run(["preview", "--stack"]).err, /--stack needs a stack name/);
    const old = run(["preview", "--stack", "ci", "--summary", path.join(tmp, "s.md")], {
      FAKE_NO_EVENT_LOG: "1",
    });
    assert.equal(old.code, 1);
    assert.match(old.err, /has no 'preview --event-log'/);
    assert.equal(previewCall(old.calls), undefined, "no preview ran");
  });
});
