// Dashboards and Grafana provisioning: structure (Grafana cannot be installed here, so the JSON is
// checked for what Grafana needs: unique ids, the fixed datasource uid, a query per target, a sane grid).
import assert from "node:assert/strict";
import YAML from "yaml";
import { PROMETHEUS_DATASOURCE_UID, renderDashboards, renderGrafanaProvisioning } from "../../monitoring";
import { DASHBOARDS, allPanelQueries } from "../../monitoring/dashboards";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
  fieldConfig?: { defaults: { unit?: string } };
}

describe("grafana dashboards (structure)", () => {
  const files = renderDashboards();
  const parsed = files.map((f) => ({
    name: f.name,
    doc: JSON.parse(f.content) as { uid: string; title: string; panels: Panel[] },
  }));

  it("renders the five dashboards, deterministically", () => {
    assert.deepEqual(
      parsed.map((p) => p.doc.uid),
      ["beamline-overview", "beamline-slos", "beamline-nats", "beamline-router", "beamline-resources"],
    );
    assert.deepEqual(renderDashboards(), files);
    assert.deepEqual(new Set(files.map((f) => f.name)).size, files.length);
  });

  for (const { name, doc } of parsed) {
    it(`${name}: unique ids, fixed datasource uid, a query and refId per target, panels inside the 24-column grid`, () => {
      const ids = doc.panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, "duplicate panel ids");
      const cells = new Set<string>();
      for (const p of doc.panels) {
        assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} outside the grid`);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
            cells.add(`${x},${y}`);
          }
        if (p.type === "row") continue;
        assert.deepEqual(p.datasource, { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID }, p.title);
        assert.ok(p.targets && p.targets.length > 0, `${p.title} has no query`);
        for (const t of p.targets) {
          assert.match(t.refId, /^[A-Z]$/);
          assert.ok(t.expr.length > 0);
          assert.equal(t.datasource?.uid, PROMETHEUS_DATASOURCE_UID);
        }
        assert.ok(p.fieldConfig?.defaults.unit, `${p.title} has no unit`);
      }
    });
  }

  it("lists every panel query for the live test, flagging only cAdvisor queries as possibly empty", () => {
    const q = allPanelQueries();
    const panels = DASHBOARDS.flatMap((d) => d.rows.flatMap((r) => r.panels));
    assert.equal(
      q.length,
      panels.reduce((n, p) => n + p.queries.length, 0),
    );
    for (const e of q.filter((x) => x.mayBeEmpty)) assert.match(e.expr, /^\S*\(?.*container_/);
  });

  it("renders provisioning for the datasource uid and the dashboards directory", () => {
    const files = renderGrafanaProvisioning({
      prometheusUrl: "http://prometheus:9090",
      dashboardsDir: "/var/lib/grafana/dashboards",
    });
    const ds = YAML.parse(files.find((f) => f.name === "datasources/prometheus.yml")!.content);
    assert.deepEqual(ds.datasources[0], {
      name: "Prometheus",
      uid: PROMETHEUS_DATASOURCE_UID,
      type: "prometheus",
      access: "proxy",
      url: "http://prometheus:9090",
      isDefault: true,
    });
    const prov = YAML.parse(files.find((f) => f.name === "dashboards/provider.yml")!.content);
    assert.equal(prov.providers[0].options.path, "/var/lib/grafana/dashboards");
    assert.equal(prov.providers[0].type, "file");
  });
});
