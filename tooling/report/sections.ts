// Report sections that validation runs (loadtests/report/write.ts) and chaos runs (chaos/report.ts) both
// render: the per-instance resource table with the tail's causes, the tail verdict, the cause charts on the
// run's time axis, and Markdown tables as HTML. Pure: data in, strings out.
import type { InstanceTrend } from "../resources";
import { TAIL_METHOD, TailVerdict } from "../tail-cause";
import { ChartOptions, escapeXml, lineChart } from "./charts";

/** A number for a report cell: "–" when missing, no decimals from 1000 on. */
export function n(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(digits);
}

/** Per-instance resources and tail causes (Markdown table lines). */
export function renderResourceTable(resources: InstanceTrend[]): string[] {
  const L = [
    "| instance | RSS first → last (MiB) | slope (MiB/h) | CPU mean % | CPU trend (%/h) | throttled periods % | throttled ms/s | event-loop p50 / p99 max (ms) | GC ms/s |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const x of resources) {
    const pct = x.throttledShare === null ? "no quota" : `${n(x.throttledShare * 100, 2)} %`;
    L.push(
      `| ${x.instance} | ${n(x.rssFirstMiB)} → ${n(x.rssLastMiB)} | ${n(x.memSlopeMiBPerHour)} | ${n(x.cpuMeanPct)} | ${n(x.cpuTrendPctPerHour)} | ${pct} | ${n(x.throttledMsPerS, 2)} | ${n(x.eventLoopP50Ms, 2)} / ${n(x.eventLoopP99MaxMs, 2)} | ${n(x.gcMsPerS, 2)} |`,
    );
  }
  return L;
}

/** The tail-latency verdict with the correlations behind it and the method (Markdown lines). */
export function renderTail(t: TailVerdict): string[] {
  const L = [t.verdict ? `verdict: ${t.verdict}` : `verdict: none (${t.reason})`, ""];
  const shown = t.candidates
    .filter((c) => c.r !== null)
    .sort((a, b) => b.r! - a.r!)
    .slice(0, 6);
  if (shown.length) {
    L.push(
      `| tail cause candidate | r with window p99 | windows | active in slow windows (of ${t.slowWindows}) |`,
      "|---|---|---|---|",
    );
    for (const c of shown)
      L.push(`| ${c.cause} of ${c.instance} | ${c.r!.toFixed(2)} | ${c.pairs} | ${c.slowActive} |`);
    L.push("");
  }
  L.push(`method: ${TAIL_METHOD} Threshold: ${t.thresholdMs} ms (the gateway-latency SLO).`, "");
  return L;
}

/**
 * Charts of the tail's likely causes per instance (CFS throttled ms/s, event-loop delay p99, GC ms/s),
 * each only when some instance has the series. `common` carries the run's shared time axis.
 */
export function causeCharts(
  resources: InstanceTrend[],
  prefix: string,
  common: Omit<ChartOptions, "title" | "series">,
): string[] {
  const chart = (title: string, pick: (x: InstanceTrend) => [number, number][]) => {
    const series = resources
      .filter((x) => pick(x).length)
      .map((x) => ({ name: x.instance, points: pick(x) }));
    return series.length ? [lineChart({ ...common, title: `${prefix}${title}`, series })] : [];
  };
  return [
    ...chart("CPU throttled (ms per second, CFS)", (x) => x.throttledMsSeries),
    ...chart("event-loop delay p99 (ms)", (x) => x.eventLoopP99Series),
    ...chart("GC pause (ms per second)", (x) => x.gcMsSeries),
  ];
}

export function mdTableToHtml(md: string): string {
  // The Markdown summary already has every table; the HTML page shows them as HTML tables.
  const out: string[] = [];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("|")) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i].startsWith("|")) {
        if (!/^\|[-| ]+\|$/.test(lines[i]))
          rows.push(
            lines[i]
              .slice(1, -1)
              .split(/(?<!\\)\|/)
              .map((c) => c.trim().replace(/\\\|/g, "|")),
          );
        i++;
      }
      i--;
      out.push(
        "<table>" +
          rows
            .map(
              (r, k) =>
                `<tr>${r
                  .map((c) => {
                    const cls = /^FAIL/.test(c) ? ' class="fail"' : /^pass/.test(c) ? ' class="pass"' : "";
                    return k === 0 ? `<th>${escapeXml(c)}</th>` : `<td${cls}>${escapeXml(c)}</td>`;
                  })
                  .join("")}</tr>`,
            )
            .join("") +
          "</table>",
      );
    } else if (l.startsWith("## ")) out.push(`<h2>${escapeXml(l.slice(3))}</h2>`);
    else if (l.startsWith("# ")) continue;
    else if (l.startsWith("- [")) {
      const m = /^- \[(.*)\]\((.*)\) (.*)$/.exec(l);
      if (m) out.push(`<div><a href="${escapeXml(m[2])}">${escapeXml(m[1])}</a> ${escapeXml(m[3])}</div>`);
    } else if (l.startsWith("- ")) out.push(`<div>${escapeXml(l.slice(2))}</div>`);
    else if (l.trim()) out.push(`<p>${escapeXml(l)}</p>`);
  }
  return out.join("\n");
}
