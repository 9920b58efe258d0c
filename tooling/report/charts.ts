// Dependency-free SVG charts for the HTML reports (load, soak, chaos timelines). Pure functions: the
// same input always renders the same markup, so reports are diffable and the renderer is unit-tested.

export interface Series {
  name: string;
  /** [x, y] points; x is usually seconds since the run started. Non-finite y values leave a gap. */
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  /** Fill the area under the line. */
  area?: boolean;
  /** Dashed line (e.g. a baseline or a gate threshold). */
  dashed?: boolean;
}

export interface Marker {
  /** Vertical line at this x with a short label (e.g. "NATS killed"). */
  x: number;
  label: string;
  color?: string;
}

export interface Band {
  /** Shaded x range (e.g. a fault window). */
  from: number;
  to: number;
  label?: string;
  color?: string;
}

export interface ChartOptions {
  title: string;
  series: Series[];
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
  /** Formats tick labels; default: compact number. */
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Force the y axis to start at 0 (default true). */
  yZero?: boolean;
  /** Horizontal reference lines (e.g. gate thresholds). */
  thresholds?: { y: number; label: string; color?: string }[];
  markers?: Marker[];
  bands?: Band[];
  /** x range to cover at least (charts of one run share it, so their time axes line up). */
  xDomain?: readonly [number, number];
}

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Compact number: 1234 → "1.23k", 0.0042 → "0.0042". */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a >= 100 || a === 0) return String(Math.round(v));
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** "Nice" tick values covering [min, max] (1-2-5 steps), about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    if (min === 0) return [0, 1];
    const pad = Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function r(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** A line/area chart as a standalone <svg> element. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 260;
  const m = { l: 64, r: 16, t: 30, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xf = o.xFormat ?? formatNumber;
  const yf = o.yFormat ?? formatNumber;

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x)) xs.push(x);
      if (Number.isFinite(y)) ys.push(y);
    }
  }
  for (const t of o.thresholds ?? []) ys.push(t.y);
  for (const mk of o.markers ?? []) xs.push(mk.x);
  for (const b of o.bands ?? []) xs.push(b.from, b.to);
  if (o.xDomain && xs.length) xs.push(...o.xDomain);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`);
  if (xs.length === 0 || ys.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#6b7280">no data</text></svg>`);
    return parts.join("");
  }
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yMin = o.yZero === false ? Math.min(...ys) : Math.min(0, ...ys);
  const yTicks = niceTicks(yMin, Math.max(...ys), 5);
  const x0 = xTicks[0];
  const x1 = xTicks[xTicks.length - 1];
  const y0 = yTicks[0];
  const y1 = yTicks[yTicks.length - 1];
  const sx = (x: number) => m.l + (x1 === x0 ? pw / 2 : ((x - x0) / (x1 - x0)) * pw);
  const sy = (y: number) => m.t + ph - (y1 === y0 ? ph / 2 : ((y - y0) / (y1 - y0)) * ph);

  for (const b of o.bands ?? []) {
    const bx = sx(b.from);
    parts.push(
      `<rect x="${r(bx)}" y="${m.t}" width="${r(Math.max(1, sx(b.to) - bx))}" height="${ph}" fill="${b.color ?? "#fde68a"}" opacity="0.35"/>`,
    );
    if (b.label)
      // Band labels sit at the foot of the plot; the top belongs to the marker labels.
      parts.push(`<text x="${r(bx + 3)}" y="${m.t + ph - 4}" fill="#92400e">${escapeXml(b.label)}</text>`);
  }
  for (const t of yTicks) {
    const y = r(sy(t));
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#374151">${escapeXml(yf(t))}</text>`,
    );
  }
  for (const t of xTicks) {
    const x = r(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#9ca3af"/>`);
    parts.push(
      `<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle" fill="#374151">${escapeXml(xf(t))}</text>`,
    );
  }
  parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#9ca3af"/>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#9ca3af"/>`);
  if (o.xLabel) {
    parts.push(
      `<text x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle" fill="#6b7280">${escapeXml(o.xLabel)}</text>`,
    );
  }
  if (o.yLabel) {
    parts.push(
      `<text transform="translate(12 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#6b7280">${escapeXml(o.yLabel)}</text>`,
    );
  }

  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    // Split into runs of finite points so missing samples show as gaps rather than fake lines.
    const runs: (readonly [number, number])[][] = [];
    let cur: (readonly [number, number])[] = [];
    for (const p of s.points) {
      if (Number.isFinite(p[0]) && Number.isFinite(p[1])) cur.push(p);
      else if (cur.length) {
        runs.push(cur);
        cur = [];
      }
    }
    if (cur.length) runs.push(cur);
    for (const run of runs) {
      const d = run.map(([x, y], k) => `${k ? "L" : "M"}${r(sx(x))} ${r(sy(y))}`).join("");
      if (s.area && run.length > 1) {
        const base = r(sy(Math.max(y0, 0)));
        parts.push(
          `<path d="${d}L${r(sx(run[run.length - 1][0]))} ${base}L${r(sx(run[0][0]))} ${base}Z" fill="${color}" opacity="0.18"/>`,
        );
      }
      if (run.length === 1) {
        parts.push(`<circle cx="${r(sx(run[0][0]))}" cy="${r(sy(run[0][1]))}" r="2" fill="${color}"/>`);
      } else {
        parts.push(
          `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ""}/>`,
        );
      }
    }
  });

  for (const t of o.thresholds ?? []) {
    const y = r(sy(t.y));
    const c = t.color ?? "#b91c1c";
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="${c}" stroke-dasharray="4 3"/>`,
    );
    parts.push(
      `<text x="${m.l + pw - 4}" y="${y}" dy="-3" text-anchor="end" fill="${c}">${escapeXml(t.label)}</text>`,
    );
  }
  // Marker labels that would overlap a neighbour's go one row lower (greedy, left to right), so close
  // fault steps stay readable.
  const rowEnds: number[] = [];
  for (const mk of [...(o.markers ?? [])].sort((a, b) => a.x - b.x)) {
    const px = sx(mk.x);
    const x = r(px);
    const c = mk.color ?? "#111827";
    const half = (mk.label.length * 6.2) / 2;
    let row = rowEnds.findIndex((end) => px - half > end + 4);
    if (row < 0) row = rowEnds.length;
    rowEnds[row] = px + half;
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="${c}" stroke-dasharray="2 2"/>`,
    );
    parts.push(
      `<text x="${x}" y="${m.t - 3 + row * 11}" text-anchor="middle" fill="${c}">${escapeXml(mk.label)}</text>`,
    );
  }

  // Legend, right-aligned in the title row.
  let lx = W - m.r;
  [...o.series].reverse().forEach((s, ri) => {
    const i = o.series.length - 1 - ri;
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const w = 18 + s.name.length * 6.2;
    lx -= w;
    parts.push(`<rect x="${r(lx)}" y="10" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${r(lx + 13)}" y="19">${escapeXml(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** A horizontal bar chart (label → value), e.g. status-code counts or per-profile ratios. */
export function barChart(o: {
  title: string;
  bars: { label: string; value: number; color?: string }[];
  width?: number;
  valueFormat?: (v: number) => string;
}): string {
  const W = o.width ?? 720;
  const row = 22;
  const H = 34 + o.bars.length * row + 8;
  const labelW = 160;
  const vf = o.valueFormat ?? formatNumber;
  const max = Math.max(0, ...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="8" y="18" font-size="13" font-weight="600">${escapeXml(o.title)}</text>`,
  ];
  o.bars.forEach((b, i) => {
    const y = 30 + i * row;
    const v = Number.isFinite(b.value) ? b.value : 0;
    const w = max > 0 ? (v / max) * (W - labelW - 80) : 0;
    parts.push(`<text x="${labelW - 6}" y="${y + 11}" text-anchor="end">${escapeXml(b.label)}</text>`);
    parts.push(
      `<rect x="${labelW}" y="${y}" width="${r(Math.max(0, w))}" height="${row - 6}" fill="${b.color ?? PALETTE[i % PALETTE.length]}"/>`,
    );
    parts.push(`<text x="${r(labelW + w + 4)}" y="${y + 11}">${escapeXml(vf(b.value))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
