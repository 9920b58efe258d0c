// HTML report of a chaos run (pure: journal in, markup out). Per experiment, one time axis (seconds since
// the experiment started) shared by every chart: the fault window is shaded, fault steps and first
// alert firings are vertical markers, and the charts show request outcomes, SLO burn, p99 and probes.
import { escapeXml as esc, lineChart, Marker } from "../tooling/report/charts";
import { causeCharts, mdTableToHtml, renderResourceTable, renderTail } from "../tooling/report/sections";
import type { ExperimentJournal, RunJournal } from "./journal";
import { alertKey, alertNameOfKey, burnRate, isDetection, perSecond } from "./measures";

const sec = (t: number, t0: number) => Math.round((t - t0) / 100) / 10;
const ms = (v: number | undefined) => (v === undefined ? "–" : `${Math.round(v)} ms`);
const s1 = (v: number) => `${(v / 1000).toFixed(1)} s`;

/** The resolve wait before the baseline, in words. */
export function resolveWaitText(j: ExperimentJournal): string {
  const w = j.resolveWait;
  if (!w) return j.definition.detects?.length ? "not waited (no Prometheus)" : "–";
  if (w.resolved) return `waited ${s1(w.waitedMs)} for ${w.alerts.join(", ")} to resolve before the baseline`;
  return `NOT resolved after ${s1(w.waitedMs)} (bound ${s1(w.maxMs)}): ${w.stillActive.join(", ") || w.error || "–"}`;
}

/**
 * Time to detect for the summary: each expected alert (its fastest instance, against its bound), then
 * any other alert instance that fired for the fault, in seconds.
 */
export function detectionText(j: ExperimentJournal): string {
  const ttd = Object.entries(j.measures?.timeToDetectMs ?? {});
  const expected = j.definition.detects ?? [];
  const parts = expected.map((d) => {
    const hits = ttd.filter(([k]) => alertNameOfKey(k) === d.alert).sort((a, b) => a[1] - b[1]);
    return hits.length
      ? `${hits[0][0]} ${s1(hits[0][1])} (bound ${s1(d.withinMs)})`
      : `${d.alert} not detected (bound ${s1(d.withinMs)})`;
  });
  const others = ttd.filter(([k]) => !expected.some((d) => d.alert === alertNameOfKey(k)));
  if (others.length)
    parts.push(`${expected.length ? "also " : ""}${others.map(([k, t]) => `${k} ${s1(t)}`).join(", ")}`);
  return parts.join("; ") || "–";
}

function timeline(j: ExperimentJournal): string {
  const t0 = j.startedAt;
  const end = j.observedEnd ?? j.endedAt;
  const buckets = perSecond(j.requests, t0, end);
  const x = (t: number) => sec(t, t0);
  const markers: Marker[] = [
    ...j.steps
      .filter((s) => !s.action.startsWith("wait") && !s.action.startsWith("await"))
      .map((s) => ({ x: x(s.startedAt), label: s.label, color: s.error ? "#dc2626" : "#4b5563" })),
    ...j.alerts
      .filter((a) =>
        j.measures?.faultStart !== undefined
          ? isDetection(a, j.measures.faultStart)
          : a.firstFiringAt !== undefined && !a.preexisting,
      )
      .map((a) => ({ x: x(a.firstFiringAt!), label: `alert ${alertKey(a)}`, color: "#d97706" })),
  ];
  const m = j.measures;
  const bands =
    m?.faultStart !== undefined && m.faultEnd !== undefined
      ? [
          { from: x(m.faultStart), to: x(m.faultEnd), label: "fault", color: "#fecaca" },
          ...(m.timeToRecoverMs !== undefined
            ? [
                {
                  from: x(m.faultEnd),
                  to: x(m.faultEnd + m.timeToRecoverMs),
                  label: "recovering",
                  color: "#fde68a",
                },
              ]
            : []),
        ]
      : [];
  const bx = (i: number) => i + 0.5;
  const xDomain = [0, x(end)] as const;
  const common = { markers, bands, xLabel: "seconds since start", width: 960, height: 220, xDomain };
  const slo = j.definition.hypothesis.successRate;
  const charts = [
    lineChart({
      ...common,
      title: "Requests per second by outcome (both paths)",
      series: [
        {
          name: "ok",
          color: "#16a34a",
          points: buckets.map((b, i) => [bx(i), b.ok.sync + b.ok.durable] as const),
        },
        {
          name: "fail",
          color: "#dc2626",
          points: buckets.map((b, i) => [bx(i), b.fail.sync + b.fail.durable] as const),
        },
        {
          name: "unknown",
          color: "#7c3aed",
          points: buckets.map((b, i) => [bx(i), b.unknown.sync + b.unknown.durable] as const),
        },
      ],
    }),
    lineChart({
      ...common,
      title: `SLO burn rate (error share / ${((1 - slo) * 100).toFixed(1)} % budget)`,
      series: [
        {
          name: "burn",
          color: "#dc2626",
          area: true,
          points: buckets.map((b, i) => [bx(i), burnRate(b, slo)] as const),
        },
      ],
      thresholds: [{ y: 1, label: "budget", color: "#6b7280" }],
    }),
    lineChart({
      ...common,
      title: "p99 latency of successful requests (ms, from intended send time)",
      series: [{ name: "p99", points: buckets.map((b, i) => [bx(i), b.p99 ?? NaN] as const) }],
      thresholds: [m?.baselineP99Ms.sync, m?.baselineP99Ms.durable]
        .filter((v): v is number => v !== undefined)
        .slice(0, 1)
        .map((v) => ({
          y: v * j.definition.hypothesis.p99Factor + j.definition.hypothesis.p99SlackMs,
          label: "recovery bound",
        })),
    }),
    lineChart({
      ...common,
      title: "Steady-state probes (1 = ok)",
      series: [
        { name: "gateway /health", points: j.probes.map((p) => [x(p.t), p.health ? 1 : 0] as const) },
        {
          name: "gateway /ready",
          dashed: true,
          points: j.probes.map((p) => [x(p.t), p.ready ? 1 : 0] as const),
        },
        {
          name: "all instances running",
          color: "#16a34a",
          points: j.probes.map(
            (p) => [x(p.t), Object.values(p.running).every((r) => (r ?? []).every(Boolean)) ? 1 : 0] as const,
          ),
        },
      ],
    }),
    ...causeCharts(j.resources ?? [], "", common),
  ];
  return charts.join("\n");
}

/** Resources per instance and the tail verdict (the same rule and tables as the load reports). */
function causes(j: ExperimentJournal): string {
  if (!j.resources?.length || !j.tail) return "";
  return (
    `<h3>Tail latency and its causes (resources from ${esc(j.resourceSource ?? "–")})</h3>` +
    mdTableToHtml([...renderResourceTable(j.resources), "", ...renderTail(j.tail)].join("\n"))
  );
}

function events(j: ExperimentJournal): string {
  const rows: [number, string, string][] = [
    ...j.steps.map(
      (s) =>
        [
          s.startedAt,
          s.phase,
          `${s.label} (${s.action}, ${s.endedAt - s.startedAt} ms)${s.error ? ` — ERROR: ${s.error}` : ""}`,
        ] as [number, string, string],
    ),
    ...j.alerts.map((a) => {
      const fs = j.measures?.faultStart;
      const since =
        a.activeAt === undefined
          ? ""
          : `, active since ${fs === undefined ? `${sec(a.activeAt, j.startedAt)} s` : `${s1(a.activeAt - fs)} after the fault start`}`;
      const state = a.firstFiringAt === undefined ? "pending, never firing" : "firing";
      const before =
        a.preexisting || (a.activeAt !== undefined && fs !== undefined && a.activeAt < fs)
          ? " (active already before the fault: not a detection)"
          : "";
      return [
        a.firstFiringAt ?? a.activeAt ?? j.startedAt,
        "alert",
        `${alertKey(a)} ${state}${since}${before}`,
      ] as [number, string, string];
    }),
  ].sort((a, b) => a[0] - b[0]);
  return `<table><tr><th>t (s)</th><th>kind</th><th>event</th></tr>${rows
    .map(([t, k, e]) => `<tr><td>${sec(t, j.startedAt)}</td><td>${esc(k)}</td><td>${esc(e)}</td></tr>`)
    .join("")}</table>`;
}

function experimentSection(j: ExperimentJournal): string {
  const m = j.measures;
  const l = j.ledger;
  const parts = [
    `<section id="${esc(j.name)}"><h2>${esc(j.name)} — <span class="${j.status}">${j.status.toUpperCase()}</span></h2>`,
    `<p>${esc(j.title)}</p><p><b>Proves:</b> ${esc(j.definition.proves)}</p>`,
    `<p><b>Does not prove:</b> ${esc(j.definition.doesNotProve.join(" "))}</p>`,
  ];
  if (j.reasons.length)
    parts.push(`<ul class="failed">${j.reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`);
  if (j.gates.length) {
    parts.push(
      `<table><tr><th>gate</th><th>result</th><th>detail</th></tr>${j.gates
        .map(
          (g) =>
            `<tr><td>${esc(g.gate.kind)}</td><td class="${g.pass ? "passed" : "failed"}">${g.pass ? "pass" : "FAIL"}</td><td>${esc(g.detail)}</td></tr>`,
        )
        .join("")}</table>`,
    );
  }
  if (j.definition.detects?.length || j.resolveWait) {
    parts.push(
      `<p><b>Expected alerts:</b> ${esc(
        (j.definition.detects ?? []).map((d) => `${d.alert} within ${s1(d.withinMs)}`).join(", ") || "–",
      )}; <b>resolved before the baseline:</b> ${esc(resolveWaitText(j))}</p>`,
    );
  }
  if (m) {
    const ttd = Object.entries(m.timeToDetectMs);
    parts.push(
      `<table><tr><th>measure</th><th>value</th></tr>` +
        [
          ["baseline p99 sync / durable", `${ms(m.baselineP99Ms.sync)} / ${ms(m.baselineP99Ms.durable)}`],
          [
            "time to recover (both paths)",
            m.timeToRecoverMs === undefined ? "not recovered within the observation" : ms(m.timeToRecoverMs),
          ],
          [
            "time to recover sync / durable",
            `${ms(m.timeToRecoverByPath.sync)} / ${ms(m.timeToRecoverByPath.durable)}`,
          ],
          [
            "first success after the fault, sync / durable",
            `${ms(m.firstSuccessAfterFaultMs.sync)} / ${ms(m.firstSuccessAfterFaultMs.durable)}`,
          ],
          ["error window", ms(m.errorWindowMs)],
          [
            "blast radius",
            `${m.blastRadius.failed} failed + ${m.blastRadius.unknown} unknown of ${m.blastRadius.total} (${(m.blastRadius.share * 100).toFixed(2)} %)`,
          ],
          [
            "time to detect (per alert instance whose own transition came after the fault start)",
            ttd.length
              ? ttd.map(([a, t]) => `${a}: ${s1(t)}`).join(", ")
              : "no alert instance became active and fired after the fault (or no Prometheus)",
          ],
        ]
          .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`)
          .join("") +
        `</table>`,
    );
  }
  if (l) {
    parts.push(
      `<p><b>Ledger</b> (drain ${j.drain?.ms ?? "–"} ms, ${j.drain?.caughtUp ? "caught up" : "time limit reached"}): attempted ${l.attempted}, acked ${l.acked}, decided ${l.decided}, ` +
        `<span class="${l.lost.length ? "failed" : ""}">lost ${l.lost.length}</span>, <span class="${l.unexpected.length ? "failed" : ""}">unexpected ${l.unexpected.length}</span>, ` +
        `duplicated ${l.duplicated.length}, recovered ${l.recovered.length}, unknown ${l.unknown.length}</p>`,
    );
    const detail = [
      ...l.lost.slice(0, 20).map((x) => `lost ${x.messageId}: ${x.reason}`),
      ...l.unexpected.slice(0, 20).map((x) => `unexpected ${x.messageId}: ${x.reason}`),
      ...l.duplicated
        .slice(0, 20)
        .map((d) => `duplicated ${d.messageId} (seqs ${d.streamSeqs.join(",")}): ${d.cause}`),
    ];
    if (detail.length) parts.push(`<ul>${detail.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  }
  parts.push(causes(j));
  if (j.requests.length) parts.push(timeline(j));
  parts.push(events(j), "</section>");
  return parts.join("\n");
}

export function renderReport(run: RunJournal): string {
  const css =
    "body{font-family:system-ui,sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:left}.passed{color:#15803d;font-weight:600}.failed{color:#b91c1c;font-weight:600}svg{display:block;margin:6px 0}";
  const summary = run.experiments
    .map(
      (e) =>
        `<tr><td><a href="#${esc(e.name)}">${esc(e.name)}</a></td><td class="${e.status}">${e.status}</td><td>${esc(detectionText(e))}</td><td>${esc(e.resolveWait ? resolveWaitText(e) : "–")}</td><td>${e.gates.filter((g) => !g.pass).length} failed gate(s)${e.reasons.length ? `; ${esc(e.reasons.join("; "))}` : ""}</td></tr>`,
    )
    .join("");
  const na = run.notApplicable.length
    ? `<p>Excluded from the suite (not applicable to this stack): ${run.notApplicable.map((n) => `${esc(n.name)} (${esc(n.problems.join("; "))})`).join(", ")}</p>`
    : "";
  return [
    `<!doctype html><html><head><meta charset="utf-8"><title>chaos run ${esc(run.runId)}</title><style>${css}</style></head><body>`,
    `<h1>Chaos run ${esc(run.runId)} — <span class="${run.status}">${run.status.toUpperCase()}</span></h1>`,
    `<p>stack ${esc(run.stack.stack)} (${esc(run.stack.target)}), driver ${esc(run.stack.driver)}, capabilities: ${esc(run.stack.capabilities.join(", ") || "none")}; started ${esc(run.startedAt)}, ended ${esc(run.endedAt ?? "–")}</p>`,
    `<table><tr><th>experiment</th><th>status</th><th>time to detect</th><th>expected alerts resolved before the baseline</th><th>notes</th></tr>${summary}</table>`,
    na,
    ...run.experiments.map(experimentSection),
    "</body></html>",
  ].join("\n");
}
