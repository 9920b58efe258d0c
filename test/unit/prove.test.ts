// The pure parts of `npm run prove`: flags, backend rules, exit codes, interrupt handling, the engine
// step counter, the chaos driver guard, and the run report (verdict table, phases, failures first) and
// its entry in reports/index.html. The real run (an interrupted prove on the engine) is test/prove/.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { ChaosDriver } from "../../tooling/drivers/types";
import { UsageError } from "../../tooling/args";
import { LOAD_PROFILES } from "../../loadtests/profiles";
import { phasedRunEntry, refreshIndex, renderIndex } from "../../loadtests/report/write";
import { parseArgs, resolveBackend } from "../../prove/cli";
import {
  collectProveFailures,
  PhaseResult,
  proveExitCode,
  ProveResult,
  renderProveHtml,
  renderProveMarkdown,
  writeProveReport,
} from "../../prove/report";
import { destroyCommand, engineError, StepCounter, stopOnAbort } from "../../prove/run";
import { LOCAL_PASSPHRASE } from "../../scripts/engine";
import { signalExitCode, watchInterrupts } from "../../scripts/interrupt";

const phase = (name: string, kind: PhaseResult["kind"], status: PhaseResult["status"], extra = {}) =>
  ({ name, kind, status, gates: [], notes: [], durationS: 1, ...extra }) as PhaseResult;

describe("npm run prove", () => {
  describe("parseArgs", () => {
    it("needs --stack and defaults to every load profile, the ci chaos suite, no soak, destroy", () => {
      assert.deepEqual(parseArgs(["--stack", "s"]), {
        stack: "s",
        profiles: LOAD_PROFILES,
        chaos: ["ci"],
        loadDurationS: 15,
        keep: false,
        reportDir: "reports",
      });
      assert.throws(() => parseArgs([]), { name: "UsageError", message: /^--stack is required/ });
    });

    it("reads every flag, as `--flag v` and `--flag=v`", () => {
      assert.deepEqual(
        parseArgs([
          "--stack=prove-dev",
          "--profiles",
          "rate,burst,rate",
          "--duration=20s",
          "--chaos",
          "router-kill,cpu-squeeze",
          "--soak",
          "3h",
          "--keep",
          "--ttl",
          "4h",
          "--report-dir",
          "/tmp/r",
        ]),
        {
          stack: "prove-dev",
          profiles: ["rate", "burst"],
          chaos: ["router-kill", "cpu-squeeze"],
          loadDurationS: 20,
          soakS: 10800,
          keep: true,
          ttlMs: 4 * 3600_000,
          reportDir: "/tmp/r",
        },
      );
      const none = parseArgs(["--stack", "s", "--profiles", "none", "--chaos=none"]);
      assert.deepEqual([none.profiles, none.chaos], [[], []]);
    });

    it("--e2e selects E2E checks by id prefix: all (default), a list, or none", () => {
      assert.equal(parseArgs(["--stack", "s"]).e2e, undefined);
      assert.equal(parseArgs(["--stack", "s", "--e2e", "all"]).e2e, undefined);
      assert.deepEqual(parseArgs(["--stack", "s", "--e2e", "subjects.,errors.gateway."]).e2e, [
        "subjects.",
        "errors.gateway.",
      ]);
      assert.deepEqual(parseArgs(["--stack", "s", "--e2e=none"]).e2e, []);
      assert.throws(
        () => parseArgs(["--stack", "s", "--e2e", ","]),
        /--e2e needs a comma-separated list or none/,
      );
    });

    it("names the flag and what was expected in every usage error", () => {
      const cases: [string[], RegExp][] = [
        [["--stack"], /^--stack needs a value: --stack <name>$/],
        [["--stack", "a b"], /^--stack must be a stack name/],
        [
          ["--stack", "s", "--profiles", "soak"],
          /^--profiles: unknown load profile "soak" \(expected some of/,
        ],
        [["--stack", "s", "--duration", "fast"], /^--duration must look like 90s, 5m or 2h, got "fast"$/],
        [["--stack", "s", "--soak", "0.5s"], /^--soak must be at least 1 s/],
        [["--stack", "s", "--chaos", "nope"], /^--chaos: unknown suite or experiment "nope"/],
        [["--stack", "s", "--ttl", "4h"], /^--ttl needs --keep/],
        [["--stack", "s", "--keep", "--ttl", "4"], /^--ttl must look like/],
        [["--stack", "s", "--keep=yes"], /^--keep takes no value$/],
        [["--stack", "s", "--frobnicate"], /^unknown flag "--frobnicate"$/],
        [["--stack", "s", "--profiles", "--keep"], /^--profiles needs a value/],
      ];
      for (const [argv, message] of cases)
        assert.throws(
          () => parseArgs(argv),
          (e: Error) => e instanceof UsageError && message.test(e.message),
          argv.join(" "),
        );
    });
  });

  describe("resolveBackend (the rules of scripts/pulumi.sh)", () => {
    it("defaults to the repository's .pulumi-state and the local passphrase, with a warning", () => {
      const b = resolveBackend({}, "/repo");
      assert.equal(b.url, "file:///repo/.pulumi-state");
      assert.equal(b.isDefault, true);
      assert.equal(b.passphrase, LOCAL_PASSPHRASE);
      assert.match(b.warnings.join(), /PULUMI_CONFIG_PASSPHRASE is not set/);
    });

    it("uses PULUMI_BACKEND_URL and the user's passphrase (or passphrase file) without a warning", () => {
      const b = resolveBackend({ PULUMI_BACKEND_URL: "s3://b", PULUMI_CONFIG_PASSPHRASE: "x" }, "/repo");
      assert.deepEqual(b, { url: "s3://b", isDefault: false, passphrase: "x", warnings: [] });
      const f = resolveBackend({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }, "/r");
      assert.equal(f.passphraseFile, "/p");
      assert.equal(f.passphrase, undefined);
      assert.deepEqual(f.warnings, []);
    });

    it("names the backend in the destroy command only when it is not the default", () => {
      assert.equal(destroyCommand("s", resolveBackend({}, "/r")), "npm run destroy -- --stack s --yes");
      assert.equal(
        destroyCommand("s", resolveBackend({ PULUMI_BACKEND_URL: "file:///x" }, "/r")),
        "PULUMI_BACKEND_URL=file:///x npm run destroy -- --stack s --yes",
      );
    });
  });

  describe("proveExitCode", () => {
    const ok = [
      phase("up", "up", "passed"),
      phase("e2e", "e2e", "passed"),
      phase("destroy", "destroy", "passed"),
    ];
    it("0 when every phase passed (skipped phases do not fail a run)", () => {
      assert.equal(proveExitCode({ phases: ok }), 0);
      assert.equal(proveExitCode({ phases: [...ok, phase("soak", "soak", "skipped")] }), 0);
    });
    it("1 for a failed gate or a failed teardown", () => {
      assert.equal(proveExitCode({ phases: [ok[0], phase("e2e", "e2e", "failed"), ok[2]] }), 1);
      assert.equal(proveExitCode({ phases: [ok[0], ok[1], phase("destroy", "destroy", "failed")] }), 1);
    });
    it("2 for a failed up, even when the rest was torn down", () => {
      assert.equal(proveExitCode({ phases: [phase("up", "up", "failed"), ok[2]] }), 2);
    });
    it("128 + the signal when interrupted with a clean teardown, else 1", () => {
      const interrupted = [ok[0], phase("load rate", "load", "interrupted"), ok[2]];
      assert.equal(proveExitCode({ phases: interrupted, interrupted: "SIGINT" }), 130);
      assert.equal(proveExitCode({ phases: interrupted, interrupted: "SIGTERM" }), 143);
      assert.equal(
        proveExitCode({
          phases: [ok[0], phase("destroy", "destroy", "failed")],
          interrupted: "SIGINT",
        }),
        1,
      );
      assert.equal(signalExitCode("SIGINT"), 130);
    });
  });

  describe("watchInterrupts", () => {
    it("aborts on the first signal, ignores tsx's copy within 1 s, calls onSecond for a later one", () => {
      let t = 1000;
      const seen: string[] = [];
      const w = watchInterrupts({
        signals: ["SIGUSR2"],
        now: () => t,
        onFirst: (s) => seen.push(`first ${s}`),
        onSecond: (s) => seen.push(`second ${s}`),
      });
      try {
        assert.equal(w.signal.aborted, false);
        w.handle("SIGINT");
        assert.equal(w.signal.aborted, true);
        assert.equal(w.received(), "SIGINT");
        t += 400;
        w.handle("SIGINT"); // relayed by tsx
        assert.deepEqual(seen, ["first SIGINT"]);
        t += 1000;
        w.handle("SIGINT");
        assert.deepEqual(seen, ["first SIGINT", "second SIGINT"]);
      } finally {
        w.dispose();
      }
    });

    it("untilInterrupted rejects at once when interrupted, and passes results through otherwise", async () => {
      const w = watchInterrupts({ signals: ["SIGUSR2"], onSecond: () => undefined });
      try {
        assert.equal(await w.untilInterrupted(Promise.resolve(7)), 7);
        const never = w.untilInterrupted(new Promise(() => undefined));
        w.handle("SIGTERM");
        await assert.rejects(never, /interrupted \(SIGTERM\)/);
        await assert.rejects(w.untilInterrupted(new Promise(() => undefined)), /interrupted/);
      } finally {
        w.dispose();
      }
    });
  });

  describe("engine events", () => {
    const ev = (kind: "resourcePreEvent" | "resOutputsEvent", urn: string, custom: boolean) =>
      ({
        sequence: 0,
        timestamp: 0,
        [kind]: { metadata: { op: "create", urn, type: "t", provider: "", new: { custom } } },
      }) as unknown as EngineEvent;
    it("counts custom resources started and done, and names the unfinished ones", () => {
      const c = new StepCounter();
      const a = "urn:pulumi:s::p::docker:index/network:Network::net";
      const b = "urn:pulumi:s::p::docker:index/container:Container::nats-0";
      const comp = "urn:pulumi:s::p::proving-ground:NatsCluster::nats";
      for (const e of [
        ev("resourcePreEvent", comp, false),
        ev("resourcePreEvent", a, true),
        ev("resourcePreEvent", b, true),
        ev("resOutputsEvent", a, true),
      ])
        c.add(e);
      assert.equal(c.line("up"), "up: 1/2 resource steps done");
      assert.deepEqual(c.unfinished(), ["docker:index/container:Container::nats-0"]);
    });

    it("counts each step of a replacement and names a step that runs long", () => {
      const c = new StepCounter();
      const b = "urn:pulumi:s::p::docker:index/container:Container::nats-0";
      const step = (kind: "resourcePreEvent" | "resOutputsEvent", op: string) =>
        ({
          sequence: 0,
          timestamp: 0,
          [kind]: { metadata: { op, urn: b, type: "t", provider: "", new: { custom: true } } },
        }) as unknown as EngineEvent;
      c.add(step("resourcePreEvent", "replace"), 0);
      c.add(step("resOutputsEvent", "replace"), 1000);
      c.add(step("resourcePreEvent", "create-replacement"), 1000);
      assert.equal(c.line("up", 5000), "up: 1/2 resource steps done");
      assert.equal(
        c.line("up", 63_000),
        "up: 1/2 resource steps done; waiting on nats-0 (create-replacement, 62 s)",
      );
      c.add(step("resOutputsEvent", "create-replacement"), 64_000);
      assert.equal(c.line("up", 65_000), "up: 2/2 resource steps done");
      assert.deepEqual(c.unfinished(), []);
    });

    it("engineError keeps the lines that say what failed", () => {
      const e = new Error(
        "code: 255\n stdout: Updating (x)\n  + created\n\n stderr: error: update canceled\nerror: 1 resource failed",
      );
      assert.equal(engineError(e), "stderr: error: update canceled / error: 1 resource failed");
      assert.equal(engineError(new Error("plain\nmore")), "plain");
    });
  });

  describe("stopOnAbort (chaos driver of an interrupted run)", () => {
    it("passes calls through until aborted, then rejects every action but still reads and closes", async () => {
      const calls: string[] = [];
      const d = {
        name: "docker",
        count: () => 2,
        kill: async () => void calls.push("kill"),
        start: async () => void calls.push("start"),
        restart: async () => undefined,
        pause: async () => undefined,
        unpause: async () => undefined,
        running: async () => [true, true],
        close: async () => void calls.push("close"),
      } as ChaosDriver;
      const ac = new AbortController();
      const g = stopOnAbort(d, ac.signal);
      await g.kill({ role: "router" });
      ac.abort(new Error("interrupted (Ctrl-C)"));
      await assert.rejects(g.start({ role: "router" }), /interrupted/);
      assert.equal(g.count("router"), 2);
      assert.deepEqual(await g.running("router"), [true, true]);
      await g.close!();
      assert.deepEqual(calls, ["kill", "close"]);
    });
  });

  describe("report", () => {
    const result = (): ProveResult => {
      const phases: PhaseResult[] = [
        phase("up", "up", "passed", {
          gates: [{ name: "engine up succeeds", passed: true, detail: "succeeded: 22 create in 17.0 s" }],
          durationS: 17,
        }),
        phase("e2e", "e2e", "passed", {
          report: "e2e/2026-01-01T00-00-20Z/index.html",
          gates: [{ name: "every E2E check passes", passed: true, detail: "62/62 passed" }],
          durationS: 58,
        }),
        phase("load rate", "load", "failed", {
          report: "load-rate/2026-01-01T00-01-20Z/index.html",
          gates: [
            { name: "success_rate >= 0.999", passed: true, detail: "1 >= 0.999" },
            { name: "p99_ms <= 500 ms", passed: false, detail: "p99_ms 812 > 500 by 312 ms (+62.4%)" },
          ],
          durationS: 21,
        }),
        phase("chaos ci", "chaos", "passed", { report: "chaos/x/index.html", durationS: 150 }),
        phase("soak", "soak", "skipped", { error: "not requested" }),
        phase("destroy", "destroy", "passed", {
          gates: [
            {
              name: "nothing labelled proving-ground.stack=s remains (Docker API)",
              passed: true,
              detail: "none",
            },
          ],
          durationS: 6,
        }),
      ];
      return {
        kind: "prove",
        id: "2026-01-01T00-00-00Z-prove-s",
        command: "npm run prove -- --stack s",
        stack: "s",
        backend: "file:///r/.pulumi-state",
        startedAt: "2026-01-01T00:00:00.000Z",
        finishedAt: "2026-01-01T00:05:00.000Z",
        passed: false,
        exitCode: proveExitCode({ phases }),
        phases,
        failures: collectProveFailures(phases),
        resources: {
          up: [
            {
              urn: "u",
              resource: "docker:index/container:Container::nats-0",
              op: "create",
              startS: 2,
              durationS: 3,
              startReceivedS: 2.4,
              durationReceivedS: 3.1,
            },
          ],
          destroy: [],
          unfinished: [],
        },
        logs: [{ name: "pg-s-gateway-0", file: "logs/pg-s-gateway-0.log", bytes: 10 }],
        leftovers: { containers: [], networks: [], volumes: [] },
        notes: [],
      };
    };

    it("puts the verdict table first, then the failures, then one section per phase (failed gates first)", () => {
      const r = result();
      assert.equal(r.exitCode, 1);
      assert.deepEqual(r.failures, ["load rate: p99_ms <= 500 ms: p99_ms 812 > 500 by 312 ms (+62.4%)"]);
      const md = renderProveMarkdown(r);
      assert.match(md, /^# Prove run 2026-01-01T00-00-00Z-prove-s: FAILED \(exit 1\)/);
      const at = (s: string) => {
        const i = md.indexOf(s);
        assert.ok(i >= 0, `missing ${s}`);
        return i;
      };
      assert.ok(at("## Verdict") < at("## Failures"));
      assert.ok(at("## Failures") < at("## Phase up: passed"));
      assert.ok(at("## Phase up: passed") < at("## Phase load rate: failed"));
      assert.ok(at("## Phase load rate: failed") < at("## Engine resources: up (1 steps)"));
      // One verdict row per phase, in phase order, with gates, result and duration.
      for (const row of [
        "| up | engine up succeeds | pass | 17.0 s |",
        "| e2e | every E2E check passes | pass | 58.0 s |",
        "| load rate | success_rate >= 0.999; p99_ms <= 500 ms | FAIL | 21.0 s |",
        "| chaos ci | – | pass | 2 min 30 s |",
        "| soak | not requested | skipped | 1.0 s |",
      ])
        at(row);
      // In the phase's section its failed gate comes before the passed one.
      assert.ok(
        at("| p99_ms <= 500 ms | FAIL: p99_ms 812") < at("| success_rate >= 0.999 | pass: 1 >= 0.999 |"),
      );
      at("- [load rate report](load-rate/2026-01-01T00-01-20Z/index.html)");
      at("| docker:index/container:Container::nats-0 | create | 2.4 | 3.1 |");
      at("- [pg-s-gateway-0](logs/pg-s-gateway-0.log) (10 bytes)");
      at("nothing labelled proving-ground.stack=s left after destroy");
    });

    it("renders HTML with the verdict table linking each phase, and embeds the phases' own reports", () => {
      const html = renderProveHtml(result());
      assert.match(html, /<h1>Prove run .*<span class="bad">FAILED<\/span> \(exit 1\)<\/h1>/);
      assert.ok(html.indexOf("<th>phase</th>") < html.indexOf("<h2>Failures</h2>"));
      assert.match(html, /<a href="#phase-load-rate">load rate<\/a>/);
      assert.match(html, /<div id="phase-load-rate"><h2>Phase load rate: failed<\/h2>/);
      assert.match(html, /<iframe loading="lazy" src="load-rate\/2026-01-01T00-01-20Z\/index.html">/);
      assert.match(html, /<a href="logs\/pg-s-gateway-0.log">pg-s-gateway-0<\/a>/);
      assert.doesNotMatch(html, /## /);
    });

    it("says INTERRUPTED and the exit code of an interrupted run", () => {
      const r = { ...result(), interrupted: "SIGINT" as const };
      r.phases = [r.phases[0], phase("load rate", "load", "interrupted", { error: "interrupted (SIGINT)" })];
      r.exitCode = proveExitCode(r);
      assert.equal(r.exitCode, 130);
      assert.match(renderProveMarkdown(r), /: INTERRUPTED \(SIGINT\) \(exit 130\)/);
      assert.deepEqual(collectProveFailures(r.phases), ["load rate: interrupted (SIGINT)"]);
    });

    it("lists prove runs in reports/index.html beside the validation runs", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prove-report-"));
      try {
        const r = result();
        writeProveReport(path.join(dir, r.id), dir, r);
        for (const f of ["summary.json", "summary.md", "index.html"])
          assert.ok(fs.existsSync(path.join(dir, r.id, f)), f);
        const index = fs.readFileSync(path.join(dir, "index.html"), "utf8");
        assert.match(index, /<h1>Prove runs \(1\)<\/h1>/);
        assert.match(index, /href="2026-01-01T00-00-00Z-prove-s\/index.html"/);
        assert.match(index, /FAILED \(exit 1\)/);
        assert.match(index, /load rate: failed \(21 s\)/);
        assert.match(index, /<h1>Validation runs \(0\)<\/h1>/);
        refreshIndex(dir); // idempotent, and a validation-only index has no prove table
        assert.equal(phasedRunEntry({ id: "x", profiles: [] }), undefined);
        assert.doesNotMatch(renderIndex([]), /Prove runs/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
