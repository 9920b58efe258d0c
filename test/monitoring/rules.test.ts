// Rule files: promtool check rules, promtool unit tests for every alert (firing, silent, clearing,
// zero traffic, absent SLI), golden files, and determinism.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { prometheusSpec } from "../../components/observability-config";
import { SLOS, renderRuleFiles } from "../../monitoring";
import { cpuThrottleWindow } from "../../monitoring/alerts";
import { consumerStallWindow } from "../../monitoring/nats-alerts";
import { toYaml } from "../../monitoring/rule-types";
import { INFRA_RULES_FILE, sloRulesFile } from "../../monitoring/rules";
import { ALWAYS_FIRING, infraCases } from "./support/infra-cases";
import { Coverage, PromtoolTest } from "./support/promtool-tests";
import { lowTrafficCases, sloCases } from "./support/slo-cases";
import { promtool, tempDir, writeFiles } from "./support/tools";

const GOLDEN = path.join(__dirname, "golden");

function writeTestFile(dir: string, name: string, ruleFiles: string[], tests: PromtoolTest[]): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, toYaml({ rule_files: ruleFiles, evaluation_interval: "1m", tests }));
  return p;
}

describe("monitoring rules (promtool)", function () {
  this.timeout(120000);
  const files = renderRuleFiles();
  const { dir, cleanup } = tempDir("rules");
  const ruleNames = files.map((f) => f.name);
  before(() => writeFiles(dir, files));
  after(cleanup);

  it("renders byte-identical files on every call", () => {
    assert.deepEqual(renderRuleFiles(), files);
  });

  it("matches the golden files in test/monitoring/golden (UPDATE_GOLDEN=1 rewrites them)", () => {
    for (const f of files) {
      const p = path.join(GOLDEN, f.name);
      if (process.env.UPDATE_GOLDEN) fs.writeFileSync(p, f.content);
      assert.equal(f.content, fs.readFileSync(p, "utf8"), `${f.name} differs from its golden file`);
    }
    const extra = fs.readdirSync(GOLDEN).filter((n) => n.endsWith(".rules.yml") && !ruleNames.includes(n));
    assert.deepEqual(extra, [], "golden files without a rendered counterpart");
  });

  it("passes promtool check rules", () => {
    const r = promtool(["check", "rules", ...ruleNames], dir);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.output.match(/SUCCESS/g)?.length, files.length, r.output);
  });

  it("gives every alert severity, summary, description and a runbook that exists", () => {
    const alerts = files.flatMap((f) =>
      (YAML.parse(f.content) as { groups: { rules: Record<string, any>[] }[] }).groups.flatMap((g) =>
        g.rules.filter((r) => r.alert),
      ),
    );
    assert.ok(alerts.length >= 15, `only ${alerts.length} alert rules`);
    for (const a of alerts) {
      assert.match(a.labels.severity, /^(critical|warning|info)$/, a.alert);
      assert.ok(a.annotations.summary && a.annotations.description, `${a.alert} lacks summary/description`);
      assert.equal(a.annotations.runbook_url, `monitoring/runbooks/${a.alert}.md`);
      assert.ok(
        fs.existsSync(path.join(__dirname, "../..", a.annotations.runbook_url)),
        `missing ${a.annotations.runbook_url}`,
      );
    }
  });

  // Each suite loads only its own rule file: alert_rule_test matches by alert name, and the SLO alerts
  // share names (told apart by the slo label).
  const all: { name: string; rules: string[]; tests: PromtoolTest[]; coverage: Coverage[] }[] = [
    ...SLOS.map((slo) => ({ name: `slo-${slo.name}`, rules: [sloRulesFile(slo)], ...sloCases(slo, files) })),
    { name: "infra", rules: [INFRA_RULES_FILE], ...infraCases(files) },
  ];

  for (const suite of all) {
    it(`promtool test rules: ${suite.name} (${suite.tests.length} cases)`, () => {
      const p = writeTestFile(dir, `${suite.name}.test.yml`, suite.rules, suite.tests);
      const r = promtool(["test", "rules", path.basename(p)], dir);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /SUCCESS/);
    });
  }

  it("covers every alert rule with a firing and a silent case", () => {
    const keys = new Set<string>();
    for (const f of files)
      for (const g of (YAML.parse(f.content) as { groups: { rules: Record<string, any>[] }[] }).groups)
        for (const r of g.rules) if (r.alert) keys.add(r.labels.slo ? `${r.alert}/${r.labels.slo}` : r.alert);
    const cov = all.flatMap((s) => s.coverage);
    for (const k of keys) {
      assert.ok(
        cov.some((c) => c.key === k && c.fires),
        `${k} has no firing case`,
      );
      if (!ALWAYS_FIRING[k])
        assert.ok(
          cov.some((c) => c.key === k && !c.fires),
          `${k} has no silent case`,
        );
    }
  });

  it("the low-traffic cases page without the minimum-events guard (pageMinEvents: 0), so they test it", () => {
    const unguarded = renderRuleFiles({ pageMinEvents: 0 });
    const { dir: d, cleanup: done } = tempDir("rules-unguarded");
    try {
      writeFiles(d, unguarded);
      for (const slo of SLOS) {
        const cases = lowTrafficCases(slo, unguarded);
        for (const c of cases) {
          const p = writeTestFile(d, `${slo.name}-low.test.yml`, [sloRulesFile(slo)], [c]);
          const r = promtool(["test", "rules", path.basename(p)], d);
          assert.equal(r.code, 1, `${c.name} passes without the guard:\n${r.output}`);
        }
      }
    } finally {
      done();
    }
  });

  it("rejects a pageMinEvents that is not a whole number ≥ 0, naming it", () => {
    assert.throws(
      () => renderRuleFiles({ pageMinEvents: -1 }),
      /pageMinEvents: expected a whole number ≥ 0, got -1/,
    );
    assert.throws(() => renderRuleFiles({ pageMinEvents: 2.5 }), /pageMinEvents/);
  });

  it("rejects a cpuThrottledRatio outside (0, 1), naming it", () => {
    assert.throws(
      () => renderRuleFiles({ cpuThrottledRatio: 1.5 }),
      /cpuThrottledRatio: expected a number in \(0, 1\), got 1.5/,
    );
    assert.throws(() => renderRuleFiles({ cpuThrottledRatio: 0 }), /cpuThrottledRatio/);
  });

  it("rejects a natsClusterSize below 1 or fractional and a natsStorageRatio outside (0, 1), naming them", () => {
    assert.throws(
      () => renderRuleFiles({ natsClusterSize: 0 }),
      /natsClusterSize: expected a whole number ≥ 1, got 0/,
    );
    assert.throws(() => renderRuleFiles({ natsClusterSize: 2.5 }), /natsClusterSize/);
    assert.throws(
      () => renderRuleFiles({ natsStorageRatio: 1 }),
      /natsStorageRatio: expected a number in \(0, 1\), got 1/,
    );
  });

  /** The alert rules of the infrastructure file rendered with `opts`, by name. */
  const infraAlerts = (opts: Parameters<typeof renderRuleFiles>[0]) => {
    const f = renderRuleFiles(opts).find((x) => x.name === INFRA_RULES_FILE)!;
    const rules = (YAML.parse(f.content) as { groups: { rules: Record<string, any>[] }[] }).groups.flatMap(
      (g) => g.rules,
    );
    return new Map(rules.filter((r) => r.alert).map((r) => [r.alert as string, r]));
  };

  it("renders NatsClusterRouteDown's peer count from natsClusterSize, and no route alert for one node", () => {
    assert.match(
      infraAlerts({}).get("NatsClusterRouteDown")!.expr,
      /gnatsd_varz_remotes\{job="nats-exporter"\}\) < 2$/,
    );
    const five = infraAlerts({ natsClusterSize: 5 }).get("NatsClusterRouteDown")!;
    assert.match(five.expr, /\) < 4$/);
    assert.match(five.annotations.summary, /of its 4 cluster peers/);
    const single = infraAlerts({ natsClusterSize: 1 });
    assert.ok(!single.has("NatsClusterRouteDown"), "a single node has no routes to lose");
    assert.ok(single.has("NatsJetStreamStorageNearLimit") && single.has("NatsJetStreamConsumerStalled"));
  });

  it("the Docker Prometheus spec renders the rules with the ruleOptions it is given (its NATS node count)", () => {
    const spec = (ruleOptions?: { natsClusterSize: number }) =>
      prometheusSpec({
        image: "prom",
        stack: "t",
        scrapeIntervalSeconds: 5,
        targets: [],
        alertmanager: "alertmanager:9093",
        ruleOptions,
      }).files.find((f) => f.path.endsWith(INFRA_RULES_FILE))!.content;
    assert.equal(spec(), files.find((f) => f.name === INFRA_RULES_FILE)!.content);
    assert.equal(spec({ natsClusterSize: 3 }), spec());
    assert.doesNotMatch(spec({ natsClusterSize: 1 }), /NatsClusterRouteDown/);
  });

  it("scales NatsJetStreamConsumerStalled's window like the SLO windows, never below 4s", () => {
    assert.equal(consumerStallWindow({ windowScale: 1 }), "5m");
    assert.equal(consumerStallWindow({ windowScale: 1 / 60 }), "5s");
    assert.equal(consumerStallWindow({ windowScale: 1 / 600 }), "4s");
  });

  it("scales CpuThrottled's rate window like the SLO windows, never below 4s (1 s scrapes)", () => {
    assert.equal(cpuThrottleWindow({ windowScale: 1 }), "5m");
    assert.equal(cpuThrottleWindow({ windowScale: 1 / 60 }), "5s");
    assert.equal(cpuThrottleWindow({ windowScale: 1 / 600 }), "4s");
  });

  it("fails (exit 1, FAILED) when an expectation is wrong, so the cases above can fail", () => {
    const wrong = infraCases(files).tests.find((t) => t.name.startsWith("TargetDown stays silent"))!;
    const flipped: PromtoolTest = {
      ...wrong,
      alert_rule_test: wrong.alert_rule_test!.map((a) => ({
        ...a,
        exp_alerts: [
          { exp_labels: { job: "router", instance: "rt:9090", severity: "critical" }, exp_annotations: {} },
        ],
      })),
    };
    const p = writeTestFile(dir, "wrong.test.yml", [INFRA_RULES_FILE], [flipped]);
    const r = promtool(["test", "rules", path.basename(p)], dir);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /FAILED/);
  });
});
