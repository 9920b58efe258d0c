// Grafana dashboards as code, built with @grafana/grafana-foundation-sdk. Panels are declared as data
// (DASHBOARDS) so the live test can send every panel's PromQL to a real Prometheus; the SDK builders
// turn them into dashboard JSON.
import { DashboardBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { SCRAPE_JOBS, SERVICE_JOBS } from "./jobs";
import { MEMORY_LIMIT_RECORD } from "./alerts";
import {
  BUDGET_RECORD,
  OBJECTIVE_RECORD,
  PERIOD_RATIO_RECORD,
  REMAINING_RECORD,
  REQUESTS_RECORD,
  errorRatioRecord,
} from "./slo-rules";

export const PROMETHEUS_DATASOURCE_UID = "prometheus";

export interface PanelQuery {
  expr: string;
  legend?: string;
  /** Like PanelSpec.mayBeEmpty, for one query of a panel that mixes sources. */
  mayBeEmpty?: string;
}

export interface PanelSpec {
  title: string;
  description?: string;
  kind: "timeseries" | "stat";
  unit: string;
  queries: PanelQuery[];
  /**
   * Why this panel may legitimately return no series on a healthy system (e.g. cAdvisor metrics that
   * only exist where the platform exposes them). The live test then asserts acceptance only.
   */
  mayBeEmpty?: string;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  file: string;
  rows: RowSpec[];
}

const gw = `job="${SCRAPE_JOBS.gateway}"`;
const rt = `job="${SCRAPE_JOBS.router}"`;
const svc = `job=~"${SERVICE_JOBS.join("|")}"`;
const ri = "$__rate_interval";
const CADVISOR =
  "cAdvisor container metrics exist only where the platform exposes them (kubelet, cAdvisor job)";
const CPU_THROTTLING =
  "Per instance from the services' own cgroup (process_cgroup_cpu_*) and per container from cAdvisor where it runs (may be empty).";

const ts = (
  title: string,
  unit: string,
  queries: PanelQuery[],
  extra: Partial<PanelSpec> = {},
): PanelSpec => ({
  title,
  kind: "timeseries",
  unit,
  queries,
  ...extra,
});
const st = (
  title: string,
  unit: string,
  queries: PanelQuery[],
  extra: Partial<PanelSpec> = {},
): PanelSpec => ({
  title,
  kind: "stat",
  unit,
  queries,
  ...extra,
});

const quantile = (q: number, metric: string, sel: string, by: string[]) =>
  `histogram_quantile(${q}, sum by (${[...by, "le"].join(", ")}) (rate(${metric}_bucket{${sel}}[${ri}])))`;

export const DASHBOARDS: readonly DashboardSpec[] = [
  {
    uid: "beamline-overview",
    title: "Beamline / Overview (RED)",
    file: "beamline-overview.json",
    rows: [
      {
        title: "Gateway requests per route",
        panels: [
          ts("Request rate by route", "reqps", [
            { expr: `sum by (route) (rate(gateway_http_requests_total{${gw}}[${ri}]))`, legend: "{{route}}" },
          ]),
          ts("5xx error share by route", "percentunit", [
            {
              // `or … * 0` keeps a 0 line for routes without any 5xx instead of an empty panel; `> 0` drops idle
              // routes instead of drawing 0/0 = NaN.
              expr:
                `(sum by (route) (rate(gateway_http_requests_total{${gw},status=~"5.."}[${ri}])) or sum by (route) (rate(gateway_http_requests_total{${gw}}[${ri}])) * 0)` +
                ` / (sum by (route) (rate(gateway_http_requests_total{${gw}}[${ri}])) > 0)`,
              legend: "{{route}}",
            },
          ]),
          ts("Requests by status", "reqps", [
            {
              expr: `sum by (status) (rate(gateway_http_requests_total{${gw}}[${ri}]))`,
              legend: "{{status}}",
            },
          ]),
          ts("Latency p50 / p95 / p99 by route", "s", [
            {
              expr: quantile(0.5, "gateway_http_request_duration_seconds", gw, ["route"]),
              legend: "p50 {{route}}",
            },
            {
              expr: quantile(0.95, "gateway_http_request_duration_seconds", gw, ["route"]),
              legend: "p95 {{route}}",
            },
            {
              expr: quantile(0.99, "gateway_http_request_duration_seconds", gw, ["route"]),
              legend: "p99 {{route}}",
            },
          ]),
        ],
      },
      {
        title: "Saturation and health",
        panels: [
          ts("In-flight requests", "short", [
            { expr: `sum by (instance) (gateway_inflight_requests{${gw}})`, legend: "{{instance}}" },
          ]),
          st("Targets up", "short", [{ expr: `sum by (job) (up)`, legend: "{{job}}" }]),
          ts("Rate-limit rejections", "reqps", [
            {
              expr: `sum(rate(gateway_rate_limit_rejections_total{${gw}}[${ri}])) or vector(0)`,
              legend: "rejections",
            },
          ]),
        ],
      },
    ],
  },
  {
    uid: "beamline-slos",
    title: "Beamline / SLOs and error budgets",
    file: "beamline-slos.json",
    rows: [
      {
        title: "Objectives",
        panels: [
          st("SLI over the SLO period", "percentunit", [
            { expr: `1 - ${PERIOD_RATIO_RECORD}`, legend: "{{slo}}" },
          ]),
          st("Objective", "percentunit", [{ expr: OBJECTIVE_RECORD, legend: "{{slo}}" }]),
          st("Error budget remaining", "percentunit", [{ expr: REMAINING_RECORD, legend: "{{slo}}" }]),
        ],
      },
      {
        title: "Burn rates",
        panels: [
          ts("Burn rate (1h and 5m)", "short", [
            { expr: `${errorRatioRecord(60)} / on (slo) ${BUDGET_RECORD}`, legend: "1h {{slo}}" },
            { expr: `${errorRatioRecord(5)} / on (slo) ${BUDGET_RECORD}`, legend: "5m {{slo}}" },
          ]),
          ts("Burn rate (6h and 30m)", "short", [
            { expr: `${errorRatioRecord(360)} / on (slo) ${BUDGET_RECORD}`, legend: "6h {{slo}}" },
            { expr: `${errorRatioRecord(30)} / on (slo) ${BUDGET_RECORD}`, legend: "30m {{slo}}" },
          ]),
          ts("SLI events per second", "reqps", [{ expr: REQUESTS_RECORD, legend: "{{slo}}" }]),
          ts("Firing SLO alerts", "short", [
            {
              expr: `sum by (alertname, slo) (ALERTS{alertname=~"SLO.*"}) or vector(0)`,
              legend: "{{alertname}} {{slo}}",
            },
          ]),
        ],
      },
    ],
  },
  {
    uid: "beamline-nats",
    title: "Beamline / NATS and JetStream",
    file: "beamline-nats.json",
    rows: [
      {
        title: "Connectivity",
        panels: [
          st("NATS probe", "bool", [
            { expr: `probe_success{job="${SCRAPE_JOBS.natsProbe}"}`, legend: "{{instance}}" },
          ]),
          ts("NATS probe duration", "s", [
            { expr: `probe_duration_seconds{job="${SCRAPE_JOBS.natsProbe}"}`, legend: "{{instance}}" },
          ]),
          ts("Service NATS connections", "bool", [
            { expr: `gateway_nats_connection_status{${gw}}`, legend: "gateway {{instance}}" },
            { expr: `router_nats_connection_status{${rt}}`, legend: "router {{instance}}" },
          ]),
          ts("Gateway NATS reconnects", "short", [
            { expr: `sum(increase(gateway_nats_reconnects_total{${gw}}[${ri}]))`, legend: "reconnects" },
          ]),
        ],
      },
      {
        title: "Requests and JetStream",
        panels: [
          ts("Gateway NATS requests by outcome", "reqps", [
            {
              expr: `sum by (outcome) (rate(gateway_nats_requests_total{${gw}}[${ri}]))`,
              legend: "{{outcome}}",
            },
          ]),
          ts("JetStream pending (durable consumer)", "short", [
            { expr: `max by (job) (router_jetstream_pending{${rt}})`, legend: "pending" },
          ]),
        ],
      },
    ],
  },
  {
    uid: "beamline-router",
    title: "Beamline / Router decisions and breakers",
    file: "beamline-router.json",
    rows: [
      {
        title: "Decisions",
        panels: [
          ts("Decisions by outcome and provider", "ops", [
            {
              expr: `sum by (outcome, provider) (rate(router_decisions_total{${rt}}[${ri}]))`,
              legend: "{{outcome}} {{provider}}",
            },
          ]),
          ts("Decision latency p50 / p99", "s", [
            { expr: quantile(0.5, "router_decision_duration_seconds", rt, []), legend: "p50" },
            { expr: quantile(0.99, "router_decision_duration_seconds", rt, []), legend: "p99" },
          ]),
          ts("Intake errors by code", "ops", [
            { expr: `sum by (code) (rate(router_intake_errors_total{${rt}}[${ri}]))`, legend: "{{code}}" },
          ]),
        ],
      },
      {
        title: "Protection",
        panels: [
          ts("Circuit breakers open", "bool", [
            { expr: `max by (provider) (router_circuit_breaker_open{${rt}})`, legend: "{{provider}}" },
          ]),
          ts("Backpressure", "short", [
            { expr: `max by (job) (router_backpressure_active{${rt}})`, legend: "router" },
            { expr: `max by (job) (gateway_backpressure_active{${gw}})`, legend: "gateway shedding" },
          ]),
        ],
      },
      {
        // Throttling beside the lag: a throttled process stalls whole CFS periods, which shows up as lag
        // and latency while its own CPU time looks moderate.
        title: "Event loop and CPU throttling",
        panels: [
          ts("Event-loop lag p99", "s", [
            { expr: `nodejs_eventloop_lag_p99_seconds{${svc}}`, legend: "{{job}} {{instance}}" },
          ]),
          ts(
            "CPU throttled share of CFS periods",
            "percentunit",
            [
              {
                // `or … * 0` draws 0 for an instance without a quota (no periods elapse) instead of 0/0.
                expr:
                  `rate(process_cgroup_cpu_throttled_periods_total{${svc}}[${ri}]) / (rate(process_cgroup_cpu_periods_total{${svc}}[${ri}]) > 0)` +
                  ` or rate(process_cgroup_cpu_throttled_periods_total{${svc}}[${ri}]) * 0`,
                legend: "{{job}} {{instance}}",
              },
              {
                expr: `sum by (name, container) (rate(container_cpu_cfs_throttled_periods_total{image!=""}[${ri}])) / (sum by (name, container) (rate(container_cpu_cfs_periods_total{image!=""}[${ri}])) > 0)`,
                legend: "{{name}}{{container}}",
                mayBeEmpty: CADVISOR,
              },
            ],
            { description: CPU_THROTTLING },
          ),
          ts(
            "CPU throttled time per second",
            "s",
            [
              {
                expr: `rate(process_cgroup_cpu_throttled_seconds_total{${svc}}[${ri}])`,
                legend: "{{job}} {{instance}}",
              },
              {
                expr: `sum by (name, container) (rate(container_cpu_cfs_throttled_seconds_total{image!=""}[${ri}]))`,
                legend: "{{name}}{{container}}",
                mayBeEmpty: CADVISOR,
              },
            ],
            { description: CPU_THROTTLING },
          ),
        ],
      },
    ],
  },
  {
    uid: "beamline-resources",
    title: "Beamline / Container resources",
    file: "beamline-resources.json",
    rows: [
      {
        title: "Containers (cAdvisor)",
        panels: [
          ts(
            "Container CPU",
            "percentunit",
            [
              {
                expr: `sum by (name, container) (rate(container_cpu_usage_seconds_total{image!=""}[${ri}]))`,
                legend: "{{name}}{{container}}",
              },
            ],
            { mayBeEmpty: CADVISOR },
          ),
          ts(
            "Container memory vs limit",
            "percentunit",
            [
              {
                expr: `max by (name, container) (container_memory_working_set_bytes{image!=""} / (container_spec_memory_limit_bytes{image!=""} > 0))`,
                legend: "{{name}}{{container}}",
              },
            ],
            { mayBeEmpty: CADVISOR },
          ),
        ],
      },
      {
        title: "Processes",
        panels: [
          ts("Process CPU", "percentunit", [
            { expr: `rate(process_cpu_seconds_total{${svc}}[${ri}])`, legend: "{{job}} {{instance}}" },
          ]),
          ts("Resident memory vs configured limit", "percentunit", [
            {
              expr: `process_resident_memory_bytes{${svc}} / on (job) group_left () ${MEMORY_LIMIT_RECORD}`,
              legend: "{{job}} {{instance}}",
            },
          ]),
          ts("Heap used", "bytes", [
            { expr: `nodejs_heap_size_used_bytes{${svc}}`, legend: "{{job}} {{instance}}" },
          ]),
          st("Restarts (1h)", "short", [
            { expr: `changes(process_start_time_seconds{${svc}}[1h])`, legend: "{{job}} {{instance}}" },
          ]),
        ],
      },
    ],
  },
];

const REF_IDS = "ABCDEFGHIJ";

function buildPanel(p: PanelSpec, id: number, x: number, y: number, w: number) {
  const ds = { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID };
  const b = p.kind === "stat" ? new stat.PanelBuilder() : new timeseries.PanelBuilder();
  b.id(id).title(p.title).datasource(ds).unit(p.unit).gridPos({ x, y, w, h: 8 });
  if (p.description ?? p.mayBeEmpty) b.description(p.description ?? `May be empty: ${p.mayBeEmpty}`);
  p.queries.forEach((q, i) => {
    const t = new DataqueryBuilder().expr(q.expr).refId(REF_IDS[i]).datasource(ds);
    if (q.legend) t.legendFormat(q.legend);
    b.withTarget(t);
  });
  return b;
}

/** One dashboard as Grafana JSON (an object; renderDashboards serialises it). */
export function buildDashboard(spec: DashboardSpec): unknown {
  const d = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .tags(["beamline", "generated"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("utc");
  let id = 1;
  let y = 0;
  for (const row of spec.rows) {
    d.withRow(new RowBuilder(row.title).id(id++).gridPos({ x: 0, y, w: 24, h: 1 }));
    y += 1;
    const w = row.panels.length >= 3 ? 8 : 12;
    row.panels.forEach((p, i) => {
      const col = i % (24 / w);
      if (i > 0 && col === 0) y += 8;
      d.withPanel(buildPanel(p, id++, col * w, y, w));
    });
    y += 8;
  }
  return d.build();
}

export interface RenderedDashboard {
  name: string;
  content: string;
}

export function renderDashboardFiles(): RenderedDashboard[] {
  return DASHBOARDS.map((spec) => ({
    name: spec.file,
    content: `${JSON.stringify(buildDashboard(spec), null, 2)}\n`,
  }));
}

/** Every panel query, flattened, for tests and documentation. */
export function allPanelQueries(): { dashboard: string; panel: string; expr: string; mayBeEmpty?: string }[] {
  return DASHBOARDS.flatMap((d) =>
    d.rows.flatMap((r) =>
      r.panels.flatMap((p) =>
        p.queries.map((q) => ({
          dashboard: d.uid,
          panel: p.title,
          expr: q.expr,
          mayBeEmpty: q.mayBeEmpty ?? p.mayBeEmpty,
        })),
      ),
    ),
  );
}
