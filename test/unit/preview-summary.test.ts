// scripts/preview-summary.ts on real engine events (test/fixtures/preview-events/*.jsonl, recorded with
// the Pulumi CLI by record.ts there): counts, rows, replacements, policy violations; escaping, the row
// cap and determinism on events derived from them.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import {
  cell,
  code,
  main,
  parseEventLog,
  previewFacts,
  renderPreviewSummary,
} from "../../scripts/preview-summary";

const FIXTURES = path.resolve(__dirname, "..", "fixtures", "preview-events");
const load = (name: string) => parseEventLog(fs.readFileSync(path.join(FIXTURES, `${name}.jsonl`), "utf8"));
const rows = (events: EngineEvent[]) =>
  previewFacts(events).changes.map((c) => [c.op, c.type, c.name, c.changed.join(",")]);
const NETWORK = "docker:index/network:Network";

describe("preview summary from engine events", () => {
  for (const name of ["create", "update", "replace", "delete", "policy", "mixed"]) {
    it(`${name}: the counts are the engine's own (its summary event)`, () => {
      const events = load(name);
      const summary = events.find((e) => e.summaryEvent)?.summaryEvent;
      assert.ok(summary, "the fixture has a summary event");
      assert.deepEqual(previewFacts(events).counts, summary.resourceChanges);
    });
  }

  it("create: every resource to create, sorted by type and name, the default provider left out", () => {
    const events = load("create");
    assert.deepEqual(rows(events), [
      ["create", NETWORK, "backend", ""],
      ["create", "docker:index/volume:Volume", "data", ""],
      ["create", "pulumi:providers:docker", "local", ""],
      ["create", "pulumi:pulumi:Stack", "preview-events-fresh", ""],
      ["create", "random:index/randomPassword:RandomPassword", "token", ""],
      ["create", "random:index/randomPet:RandomPet", "suffix", ""],
    ]);
    const md = renderPreviewSummary(events);
    assert.match(md, /^### Pulumi preview of `fresh`\n\nPreview succeeded: 6 resources to change\.\n/);
    assert.match(md, /\| create \| 6 \|/);
    assert.doesNotMatch(md, /Replacements|Policy violations|Errors|default_4_18_4/);
  });

  it("update: one property changed in place", () => {
    const events = load("update");
    assert.deepEqual(rows(events), [["update", "pulumi:providers:docker", "local", "sshOpts"]]);
    const md = renderPreviewSummary(events);
    assert.match(md, /\| update \| 1 \|\n\| unchanged \| 5 \|/);
    assert.match(md, /\| update \| `pulumi:providers:docker` \| `local` \| `sshOpts` \|/);
  });

  it("replace: one row per replaced resource and the properties that force each replacement", () => {
    const events = load("replace");
    const f = previewFacts(events);
    assert.deepEqual(
      f.changes.map((c) => [c.op, c.name, c.changed, c.replaceReasons, c.deleteFirst]),
      [
        // detailedDiff's path (update-replace) for the network; the pet's step gives `keys` only.
        ["replace", "backend", ["labels[0].value"], ["labels[0].value"], true],
        ["replace", "suffix", ["length"], ["length"], false],
      ],
    );
    const md = renderPreviewSummary(events);
    assert.match(md, /#### Replacements \(2\)/);
    assert.match(
      md,
      /- `docker:index\/network:Network` `backend`: replaced because `labels\[0\]\.value` cannot change in place; deleted before its replacement is created\n/,
    );
    assert.match(
      md,
      /- `random:index\/randomPet:RandomPet` `suffix`: replaced because `length` cannot change in place\n/,
    );
  });

  it("delete: the removed resource", () => {
    assert.deepEqual(rows(load("delete")), [["delete", "docker:index/volume:Volume", "data", ""]]);
  });

  it("policy: the mandatory and the advisory violation with level, pack, resource and message", () => {
    const events = load("policy");
    const f = previewFacts(events);
    assert.equal(f.result, "failed");
    assert.deepEqual(
      f.violations.map((v) => [v.level, v.policy, v.pack, v.urn.split("::").pop()]),
      [
        ["mandatory", "networks-internal", "preview-events-policy@0.0.1", "backend"],
        ["advisory", "tokens-long", "preview-events-policy@0.0.1", "token"],
      ],
    );
    const md = renderPreviewSummary(events, { exitCode: 255 });
    assert.match(md, /\*\*Preview failed\*\* \(exit code 255\): 1 mandatory policy violation\./);
    assert.match(md, /#### Policy violations: 1 mandatory, 1 advisory/);
    // The pack's message holds a `|` and a line break: escaped, the row stays one row of five cells.
    const row = md.split("\n").find((l) => l.startsWith("| **mandatory** |"));
    assert.equal(
      row,
      "| **mandatory** | `networks-internal` | `preview-events-policy@0.0.1` | `docker:index/network:Network` `backend` | " +
        "Docker networks of this program are internal (no route off the host).<br>network 'pg-preview-events-fresh-backend' is not internal \\| set internal: true |",
    );
    assert.match(md, /\| advisory \| `tokens-long` \| .*<br>token length 24 &lt; 32 \|$/m);
    assert.match(md, /#### Errors\n\n```\npreview failed\n```/);
  });

  it("mixed: create, update, replace and delete in that order, unchanged counted", () => {
    const events = load("mixed");
    assert.deepEqual(rows(events), [
      ["create", "random:index/randomId:RandomId", "extra", ""],
      ["update", "pulumi:providers:docker", "local", "sshOpts"],
      ["replace", NETWORK, "backend", "labels[0].value"],
      ["delete", "docker:index/volume:Volume", "data", ""],
    ]);
    assert.match(
      renderPreviewSummary(events),
      /\| create \| 1 \|\n\| update \| 1 \|\n\| replace \| 1 \|\n\| delete \| 1 \|\n\| unchanged \| 3 \|/,
    );
  });

  it("is deterministic: resources reported in another order render the same bytes", () => {
    const events = load("mixed");
    const urnOf = (e: EngineEvent) => e.resourcePreEvent?.metadata.urn ?? "";
    // Each resource's own steps keep their order (a replacement's step order means something).
    const reordered = [...events].sort((a, b) => urnOf(b).localeCompare(urnOf(a)));
    assert.notDeepEqual(reordered, events);
    assert.equal(renderPreviewSummary(reordered), renderPreviewSummary(events));
  });

  it("caps the tables at maxRows with a line for the rest", () => {
    const [step] = load("create").filter((e) => e.resourcePreEvent?.metadata.type === NETWORK);
    const many: EngineEvent[] = [];
    for (let i = 0; i < 250; i++) {
      const e = structuredClone(step);
      e.resourcePreEvent!.metadata.urn = e.resourcePreEvent!.metadata.urn.replace(
        /::backend$/,
        `::net-${String(i).padStart(3, "0")}`,
      );
      many.push(e);
    }
    const md = renderPreviewSummary(many, { exitCode: 0 });
    const tableRows = md.split("\n").filter((l) => l.startsWith("| create | `docker"));
    assert.equal(tableRows.length, 200);
    assert.match(tableRows[199], /`net-199`/);
    assert.match(md, /… and 50 more resources not listed \(250 in all\)\./);
    assert.equal(
      renderPreviewSummary(many, { maxRows: 10 })
        .split("\n")
        .filter((l) => l.startsWith("| create | `")).length,
      10,
    );
  });

  it("escapes cells: pipes, line breaks, HTML; code spans survive backticks and pipes", () => {
    assert.equal(cell("a | b\r\nc <d> & e"), "a \\| b<br>c &lt;d&gt; &amp; e");
    assert.equal(code("a|b"), "`a\\|b`");
    assert.equal(code("x`y"), "``x`y``");
    assert.equal(code("`x"), "`` `x ``");
    assert.equal(code("two\nlines"), "`two lines`");
    const [step] = load("update").filter((e) => e.resourcePreEvent?.metadata.op === "update");
    const e = structuredClone(step);
    e.resourcePreEvent!.metadata.urn = e.resourcePreEvent!.metadata.urn.replace(/::local$/, "::odd|name");
    e.resourcePreEvent!.metadata.diffs = ["a|b", "c"];
    const row = renderPreviewSummary([e])
      .split("\n")
      .find((l) => l.startsWith("| update | `"));
    assert.equal(row, "| update | `pulumi:providers:docker` | `odd\\|name` | `a\\|b`, `c` |");
  });

  it("a preview that never started (no events) says so", () => {
    assert.match(
      renderPreviewSummary([], { exitCode: 255 }),
      /\*\*Preview failed\*\* before the engine reported any event\./,
    );
  });

  describe("command line", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-preview-summary-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("writes the summary of an event log", () => {
      const out = path.join(tmp, "s.md");
      main(["--events", path.join(FIXTURES, "policy.jsonl"), "--out", out, "--exit-code", "255"]);
      assert.equal(fs.readFileSync(out, "utf8"), renderPreviewSummary(load("policy"), { exitCode: 255 }));
    });

    it("a missing event log is a preview that failed before any event", () => {
      const out = path.join(tmp, "s.md");
      main(["--events", path.join(tmp, "none.jsonl"), "--out", out, "--exit-code", "1"]);
      assert.match(fs.readFileSync(out, "utf8"), /before the engine reported any event/);
    });

    it("rejects unknown or incomplete arguments and a broken log, naming them", () => {
      assert.throws(() => main(["--events", "x", "--out"]), /--out needs a value/);
      assert.throws(() => main(["--evnts", "x"]), /unknown argument --evnts/);
      assert.throws(() => main(["--events", "x"]), /usage:/);
      const log = path.join(tmp, "bad.jsonl");
      fs.writeFileSync(log, '{"sequence":0}\nnot json\n');
      assert.throws(() => main(["--events", log, "--out", path.join(tmp, "s.md")]), /line 2 is not JSON/);
    });
  });
});
