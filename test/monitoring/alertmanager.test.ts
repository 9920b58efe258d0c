// alertmanager.yml: amtool check-config and routing cases (amtool config routes test --verify.receivers).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { RECEIVERS, renderAlertmanagerConfig } from "../../monitoring";
import { amtool, tempDir } from "./support/tools";

describe("alertmanager config (amtool)", function () {
  this.timeout(30000);
  const opts = { webhookUrl: "http://127.0.0.1:9099/all", pageWebhookUrl: "http://127.0.0.1:9099/page" };
  const { dir, cleanup } = tempDir("am");
  const file = path.join(dir, "alertmanager.yml");
  before(() => fs.writeFileSync(file, renderAlertmanagerConfig(opts)));
  after(cleanup);

  it("is deterministic", () => {
    assert.equal(renderAlertmanagerConfig(opts), renderAlertmanagerConfig({ ...opts }));
  });

  it("passes amtool check-config", () => {
    const r = amtool(["check-config", file]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    assert.match(r.output, /2 inhibit rules/);
    assert.match(r.output, /4 receivers/);
  });

  const routes: [string, string[]][] = [
    [RECEIVERS.page, ["alertname=TargetDown", "severity=critical", "job=router"]],
    [RECEIVERS.page, ["alertname=SLOErrorBudgetBurnPage", "severity=critical", "slo=gateway-availability"]],
    [
      RECEIVERS.ticket,
      ["alertname=SLOErrorBudgetBurnTicket", "severity=warning", "slo=gateway-availability"],
    ],
    [RECEIVERS.ticket, ["alertname=EventLoopLagHigh", "severity=warning"]],
    [RECEIVERS.info, ["alertname=Something", "severity=info"]],
    [RECEIVERS.watchdog, ["alertname=Watchdog", "severity=info"]],
    // No severity at all: the root receiver, so nothing is dropped.
    [RECEIVERS.ticket, ["alertname=Unlabelled"]],
  ];
  for (const [receiver, labels] of routes) {
    it(`routes {${labels.join(", ")}} to ${receiver}`, () => {
      const r = amtool([
        "config",
        "routes",
        "test",
        `--config.file=${file}`,
        `--verify.receivers=${receiver}`,
        ...labels,
      ]);
      assert.equal(r.code, 0, r.output);
      assert.equal(r.stdout.trim(), receiver);
    });
  }

  it("exits non-zero when --verify.receivers names the wrong receiver", () => {
    const r = amtool([
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      `--verify.receivers=${RECEIVERS.ticket}`,
      "severity=critical",
    ]);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /WARNING: Expected receivers did not match resolved receivers/);
  });

  it("sends pages to the page webhook and keeps resolved notifications on", () => {
    const doc = YAML.parse(renderAlertmanagerConfig(opts)) as {
      receivers: { name: string; webhook_configs: { url: string; send_resolved: boolean }[] }[];
    };
    const page = doc.receivers.find((r) => r.name === RECEIVERS.page)!;
    assert.equal(page.webhook_configs[0].url, opts.pageWebhookUrl);
    assert.ok(doc.receivers.every((r) => r.webhook_configs[0].send_resolved));
  });

  it("inhibits warnings by a critical alert of the same SLO or the same job/instance", () => {
    const doc = YAML.parse(renderAlertmanagerConfig(opts)) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    assert.deepEqual(
      doc.inhibit_rules.map((r) => [r.source_matchers[0], r.target_matchers[0], r.equal.join(",")]),
      [
        ['severity="critical"', 'severity="warning"', "slo"],
        ['severity="critical"', 'severity="warning"', "job,instance"],
      ],
    );
  });

  it("rejects bad options with a message naming the key", () => {
    assert.throws(
      () => renderAlertmanagerConfig({ webhookUrl: "not a url" }),
      /webhookUrl must be an http\(s\) URL/,
    );
    assert.throws(
      () => renderAlertmanagerConfig({ webhookUrl: "http://x:1/", timing: { groupWait: "soon" } }),
      /timing.groupWait must be a duration/,
    );
  });
});
