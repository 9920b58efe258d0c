// Minimal Prometheus text-format reader: the E2E leak checks and resource sampler read a few gauges
// and counters from /metrics without a Prometheus server in between.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of a metric's samples whose labels include `match`; undefined when the metric is absent. */
export function metricSum(
  samples: Sample[],
  name: string,
  match: Record<string, string> = {},
): number | undefined {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : undefined;
}

export async function scrape(url: string, timeoutMs = 5000): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return parsePromText(await res.text());
}

/** A /metrics URL from an output that lists either the URL itself (docker) or the base URL (local stack). */
export function metricsUrl(u: string): string {
  return /\/metrics$/.test(u) ? u : `${u.replace(/\/$/, "")}/metrics`;
}
