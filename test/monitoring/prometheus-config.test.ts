// prometheus.yml rendering: promtool check config (with the real rule files) and the blackbox relabeling.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import {
  PrometheusConfigOptions,
  SCRAPE_JOBS,
  renderBlackboxConfig,
  renderPrometheusConfig,
  renderRuleFiles,
} from "../../monitoring";
import { promtool, run, tempDir, writeFiles } from "./support/tools";

const opts: PrometheusConfigOptions = {
  scrapeIntervalSeconds: 15,
  evaluationIntervalSeconds: 15,
  targets: [
    { job: SCRAPE_JOBS.gateway, targets: ["gateway:8080"] },
    { job: SCRAPE_JOBS.router, targets: ["router-1:9464", "router-2:9464"] },
    {
      job: SCRAPE_JOBS.natsProbe,
      targets: ["nats:4222"],
      probe: { module: "tcp_connect", exporter: "blackbox:9115" },
    },
    {
      job: SCRAPE_JOBS.gatewayProbe,
      targets: ["http://gateway:8080/health"],
      probe: { module: "http_2xx", exporter: "blackbox:9115" },
    },
  ],
  alertmanagers: ["alertmanager:9093"],
  ruleFiles: ["rules/*.rules.yml"],
  externalLabels: { stack: "ci" },
};

describe("prometheus config", function () {
  this.timeout(30000);
  const { dir, cleanup } = tempDir("prom");
  after(cleanup);

  it("passes promtool check config together with the rendered rule files", () => {
    writeFiles(path.join(dir, "rules"), renderRuleFiles());
    fs.writeFileSync(path.join(dir, "prometheus.yml"), renderPrometheusConfig(opts));
    const r = promtool(["check", "config", "prometheus.yml"], dir);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 5 rule files found/);
  });

  it("probes through the blackbox exporter: target → __param_target → instance, address → exporter", () => {
    const doc = YAML.parse(renderPrometheusConfig(opts)) as { scrape_configs: Record<string, any>[] };
    const nats = doc.scrape_configs.find((s) => s.job_name === SCRAPE_JOBS.natsProbe)!;
    assert.equal(nats.metrics_path, "/probe");
    assert.deepEqual(nats.params, { module: ["tcp_connect"] });
    assert.deepEqual(nats.relabel_configs, [
      { source_labels: ["__address__"], target_label: "__param_target" },
      { source_labels: ["__param_target"], target_label: "instance" },
      { target_label: "__address__", replacement: "blackbox:9115" },
    ]);
    assert.deepEqual(
      doc.scrape_configs.map((s) => s.job_name),
      ["gateway", "router", "blackbox-nats", "blackbox-gateway"],
    );
  });

  it("is deterministic and renders a blackbox config the exporter accepts", () => {
    assert.equal(renderPrometheusConfig(opts), renderPrometheusConfig(structuredClone(opts)));
    const bb = path.join(dir, "blackbox.yml");
    fs.writeFileSync(bb, renderBlackboxConfig());
    const r = run("prometheus-blackbox-exporter", [`--config.file=${bb}`, "--config.check"]);
    assert.equal(r.code, 0, r.output);
  });

  it("rejects bad options with messages naming the field", () => {
    assert.throws(
      () => renderPrometheusConfig({ ...opts, scrapeIntervalSeconds: 0, alertmanagers: ["http://am"] }),
      (e: Error) =>
        /scrapeIntervalSeconds must be a positive integer/.test(e.message) &&
        /alertmanagers\[0\] must be host:port/.test(e.message),
    );
    assert.throws(
      () => renderPrometheusConfig({ ...opts, targets: [opts.targets[0], opts.targets[0]] }),
      /targets\[1\].job "gateway" is duplicated/,
    );
  });
});
