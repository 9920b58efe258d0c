// Load profiles and their gates. Each profile drives the gateway's decide endpoint through one tool
// (autocannon closed-loop for max throughput, the open-model driver for fixed-rate, burst, mixed,
// errors and soak), samples resources meanwhile, and measures a same-run baseline with the same tool.
import crypto from "node:crypto";
import type { StackOutputs } from "../stacks/outputs";
import { ratio, startEchoServer } from "./baseline";
import { runClosedLoop } from "./closed-loop";
import { evaluateGates, Gate, GateResult } from "./gates";
import { OpenModelResult, runOpenModel, Schedule, WindowStat } from "./open-model";
import { plannedBody } from "./payloads";
import { analyzeResources, InstanceTrend, ResourceSampler } from "./resources";
import { firstLast, percentiles } from "./stats";
import { decideLatencyThresholdMs, DEFAULT_TAIL_RULE, tailCause, TailVerdict } from "./tail-cause";
import { runWrk, WrkResult } from "./wrk";

export const PROFILE_NAMES = ["sustained", "rate", "burst", "mixed", "errors", "soak"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
/** What `load` runs when no --profile is given (soak has its own command). */
export const LOAD_PROFILES: ProfileName[] = ["sustained", "rate", "burst", "mixed", "errors"];

export interface LoadTarget {
  outputs: StackOutputs;
  /** Tenants to rotate over (spreads per-tenant rate limits), and their bearer tokens if required. */
  tenants: string[];
  tenantTokens?: Record<string, string>;
}

export interface RunSettings {
  /** Duration of each load profile, seconds (soak uses soakDurationS). */
  durationS: number;
  soakDurationS: number;
  /** Target rate for open-model profiles, requests/s. */
  rate: number;
  connections: number;
  burstSize: number;
  burstIntervalMs: number;
  /** Share of invalid requests in the errors profile. */
  invalidShare: number;
  seed: number;
  /** Measure the echo baseline in every profile. */
  baseline: boolean;
  /** Run wrk against the target after the sustained profile. */
  wrk: boolean;
  /** Gate overrides: "profile.metric" → threshold. */
  gateOverrides?: Record<string, number>;
  onProgress?: (line: string) => void;
}

export const DEFAULT_SETTINGS: RunSettings = {
  durationS: 15,
  soakDurationS: 90,
  rate: 200,
  connections: 100,
  burstSize: 50,
  burstIntervalMs: 250,
  invalidShare: 0.1,
  seed: 42,
  baseline: true,
  wrk: false,
};

/** The declared gates per profile (thresholds can be overridden per run with --gate profile.metric=N). */
export function profileGates(name: ProfileName, s: RunSettings): Gate[] {
  const success: Gate = {
    metric: "success_rate",
    op: ">=",
    threshold: 0.999,
    why: "≥ 99.9 % of attempts succeed",
  };
  const no5xx: Gate = { metric: "http_5xx", op: "==", threshold: 0, why: "no server errors under load" };
  const gates: Record<ProfileName, Gate[]> = {
    sustained: [
      success,
      no5xx,
      { metric: "p99_ms", op: "<=", threshold: 1000, unit: "ms", why: "closed-loop p99 at 100 connections" },
    ],
    rate: [
      success,
      no5xx,
      { metric: "p99_ms", op: "<=", threshold: 500, unit: "ms", why: "corrected p99 at the fixed rate" },
      { metric: "dropped", op: "==", threshold: 0 },
    ],
    burst: [
      success,
      no5xx,
      { metric: "p99_ms", op: "<=", threshold: 750, unit: "ms", why: "corrected p99 with 50-request bursts" },
    ],
    mixed: [
      success,
      no5xx,
      {
        metric: "p99_ms",
        op: "<=",
        threshold: 500,
        unit: "ms",
        why: "corrected p99 with 64-1024 B payloads",
      },
    ],
    errors: [
      { metric: "valid_success_rate", op: ">=", threshold: 0.999, why: "valid requests still succeed" },
      {
        metric: "unexpected_4xx",
        op: "==",
        threshold: 0,
        why: "exactly the injected invalid requests get a 4xx",
      },
      { metric: "http_5xx", op: "==", threshold: 0, why: "invalid input never causes a 5xx" },
    ],
    soak: [
      success,
      no5xx,
      { metric: "p99_ms", op: "<=", threshold: 500, unit: "ms" },
      // A slope fitted over a few minutes extrapolates start-up noise to an hour, so short (CI) soaks
      // get a loose slope gate plus an absolute growth gate; soaks of 30 min or more get the real one.
      {
        metric: "mem_slope_mib_per_hour",
        op: "<=",
        threshold: s.soakDurationS >= 1800 ? 16 : 2048,
        unit: "MiB/h",
        why: "gateway/router memory does not keep growing",
      },
      {
        metric: "mem_growth_mib",
        op: "<=",
        threshold: 64,
        unit: "MiB",
        why: "gateway/router RSS growth after the warm-up share",
      },
      { metric: "p99_drift_ratio", op: "<=", threshold: 3, why: "last-window p99 vs first-window p99" },
    ],
  };
  return gates[name].map((g) => {
    const o = s.gateOverrides?.[`${name}.${g.metric}`];
    return o === undefined ? g : { ...g, threshold: o };
  });
}

export interface ProfileResult {
  name: ProfileName;
  tool: "autocannon" | "open-model";
  startedAt: string;
  durationS: number;
  settings: Record<string, unknown>;
  values: Record<string, number | null>;
  gates: GateResult[];
  passed: boolean;
  windows: WindowStat[];
  resources: InstanceTrend[];
  resourceSource: string;
  baseline?: { throughput: number; p99_ms: number; p50_ms: number; tool: string };
  ratios?: { throughput: number | null; p99: number | null; p50: number | null };
  wrk?: WrkResult & {
    diff: { throughput_pct: number | null; p99_pct: number | null; p50_pct: number | null };
  };
  openModel?: Omit<OpenModelResult, "windows">;
  /** Which measured cause, if any, the slow p99 windows coincide with (see tail-cause.ts). */
  tail: TailVerdict;
  notes: string[];
}

const DECIDE = "/api/v1/routes/decide";

function headersFor(t: LoadTarget, tenant: string | undefined): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json" };
  if (tenant !== undefined) {
    h["x-tenant-id"] = tenant;
    const tok = t.tenantTokens?.[tenant];
    if (tok) h.authorization = `Bearer ${tok}`;
  }
  return h;
}

/** The i-th request of a profile: rotating tenant, unique request id, seeded body. */
function buildRequest(
  t: LoadTarget,
  s: RunSettings,
  runId: string,
  i: number,
  opts: { minSize?: number; maxSize?: number; invalidShare?: number },
) {
  const tenant = t.tenants[i % t.tenants.length];
  const p = plannedBody(s.seed, i, tenant, `${runId}-${i}`, opts);
  return {
    path: DECIDE,
    method: "POST",
    headers: headersFor(t, p.omitTenant ? undefined : tenant),
    body: p.body,
    tag: p,
  };
}

function ms(us: number): number {
  return Number.isFinite(us) ? us / 1000 : NaN;
}

/**
 * p99 of the first and last 20 % of windows and their ratio. Both sides are floored at 20 ms: below
 * that, window-to-window differences on a shared machine are scheduling noise, not degradation.
 */
function drift(windows: WindowStat[]): { first: number; last: number; ratio: number | null } {
  const w = windows.filter((x) => x.count > 0 && Number.isFinite(x.p99Us));
  if (w.length < 2) return { first: NaN, last: NaN, ratio: null };
  const { first, last } = firstLast(w, 0.2);
  const p = (xs: WindowStat[]) =>
    percentiles(
      xs.map((x) => x.p99Us),
      [50],
    )[0] / 1000;
  const f = p(first);
  const l = p(last);
  return { first: f, last: l, ratio: Math.max(l, 20) / Math.max(f, 20) };
}

/**
 * A few seconds of traffic before measuring, discarded: the first requests after a deploy pay for JIT,
 * connection set-up and lazy allocations, which would otherwise land in the first profile's p99.
 */
export async function warmUp(t: LoadTarget, s: RunSettings, seconds = 3): Promise<void> {
  await runOpenModel({
    url: t.outputs.gatewayUrl,
    schedule: { kind: "rate", rate: Math.min(s.rate, 200) },
    durationMs: seconds * 1000,
    request: (i) => buildRequest(t, s, `warmup-${crypto.randomBytes(3).toString("hex")}`, i, {}),
  });
}

export async function runProfile(name: ProfileName, t: LoadTarget, s: RunSettings): Promise<ProfileResult> {
  const runId = `load-${name}-${crypto.randomBytes(4).toString("hex")}`;
  const sampler = new ResourceSampler(
    t.outputs,
    name === "soak" ? Math.max(1000, (s.soakDurationS * 1000) / 600) : 1000,
  );
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const notes: string[] = [];
  const values: Record<string, number | null> = {};
  let windows: WindowStat[] = [];
  let tool: ProfileResult["tool"] = "open-model";
  let openModel: ProfileResult["openModel"];
  let baseline: ProfileResult["baseline"];
  let wrk: ProfileResult["wrk"];
  const progress = (p: { elapsedMs: number; planned: number; done: number; inFlight: number }) =>
    s.onProgress?.(
      `${name}: ${(p.elapsedMs / 1000).toFixed(0)} s, ${p.done}/${p.planned} done, ${p.inFlight} in flight`,
    );

  sampler.start();
  try {
    if (name === "sustained") {
      tool = "autocannon";
      const r = await runClosedLoop({
        url: t.outputs.gatewayUrl,
        connections: s.connections,
        durationS: s.durationS,
        request: (i) => buildRequest(t, s, runId, i, {}),
      });
      windows = r.windows;
      const total = r.requests + r.errors;
      Object.assign(values, {
        requests: r.requests,
        throughput_rps: r.throughput,
        p50_ms: r.latencyMs.p50,
        p90_ms: r.latencyMs.p90,
        p99_ms: r.latencyMs.p99,
        p999_ms: r.latencyMs.p999,
        max_ms: r.latencyMs.max,
        http_2xx: r.s2xx,
        http_4xx: r.s4xx,
        http_5xx: r.s5xx,
        errors: r.errors,
        timeouts: r.timeouts,
        success_rate: total ? r.s2xx / total : 0,
      });
    } else {
      const schedule: Schedule =
        name === "burst"
          ? { kind: "burst", size: s.burstSize, intervalMs: s.burstIntervalMs }
          : { kind: "rate", rate: s.rate };
      const durationS = name === "soak" ? s.soakDurationS : s.durationS;
      const bodyOpts =
        name === "mixed" || name === "soak"
          ? { minSize: 64, maxSize: 1024 }
          : name === "errors"
            ? { minSize: 64, maxSize: 1024, invalidShare: s.invalidShare }
            : { minSize: 160, maxSize: 160 };
      let expectedInvalid = 0;
      let invalid4xx = 0;
      let validOk = 0;
      let valid = 0;
      let unexpected4xx = 0;
      const r = await runOpenModel({
        url: t.outputs.gatewayUrl,
        schedule,
        durationMs: durationS * 1000,
        request: (i) => buildRequest(t, s, runId, i, bodyOpts),
        // Invalid requests answered 4xx are the expected outcome, so they count as ok attempts.
        classify: (status, rec) => {
          const p = rec.tag as { valid: boolean };
          if (!p.valid) return status >= 400 && status < 500 ? "ok" : "fail";
          return status >= 200 && status < 300 ? "ok" : "fail";
        },
        onRecord: (rec) => {
          const p = rec.tag as { valid: boolean };
          if (!p.valid) {
            expectedInvalid++;
            if (rec.status >= 400 && rec.status < 500) invalid4xx++;
          } else {
            valid++;
            if (rec.outcome === "ok") validOk++;
            if (rec.status >= 400 && rec.status < 500) unexpected4xx++;
          }
        },
        timeoutMs: 10000,
        windowMs: name === "soak" ? Math.max(1000, Math.round((durationS * 1000) / 300)) : 1000,
        onProgress: progress,
      });
      windows = r.windows;
      const { windows: _w, ...rest } = r;
      openModel = rest;
      const c = r.latencyUs.corrected;
      const u = r.latencyUs.uncorrected;
      const count = (lo: number) =>
        Object.entries(r.statusCounts).reduce(
          (a, [k, v]) => (Number(k) >= lo && Number(k) < lo + 100 ? a + v : a),
          0,
        );
      Object.assign(values, {
        requests: r.planned,
        throughput_rps: r.throughput,
        target_rps: schedule.kind === "rate" ? schedule.rate : (schedule.size * 1000) / schedule.intervalMs,
        p50_ms: ms(c.p50),
        p90_ms: ms(c.p90),
        p95_ms: ms(c.p95),
        p99_ms: ms(c.p99),
        p999_ms: ms(c.p999),
        max_ms: ms(c.max),
        p50_uncorrected_ms: ms(u.p50),
        p99_uncorrected_ms: ms(u.p99),
        http_2xx: count(200),
        http_4xx: count(400),
        http_5xx: count(500),
        ok: r.ok,
        fail: r.fail,
        unknown: r.unknown,
        late: r.late,
        dropped: r.dropped,
        max_late_ms: r.maxLateUs / 1000,
        success_rate: r.successRate,
      });
      if (name === "errors") {
        Object.assign(values, {
          expected_4xx: expectedInvalid,
          invalid_answered_4xx: invalid4xx,
          // Wrong 4xx count in either direction: invalid ones not rejected, or valid ones rejected.
          unexpected_4xx: Math.abs(expectedInvalid - invalid4xx) + unexpected4xx,
          valid_success_rate: valid ? validOk / valid : 0,
        });
      }
    }
  } finally {
    await sampler.stop();
  }
  const durationS = (Date.now() - t0) / 1000;
  const resources = analyzeResources(sampler.samples, t0);
  const svc = resources.filter((r) => r.role === "gateway" || r.role === "router");
  values.mem_slope_mib_per_hour = svc.length ? Math.max(...svc.map((r) => r.memSlopeMiBPerHour)) : null;
  values.mem_growth_mib = svc.length ? Math.max(...svc.map((r) => r.rssGrowthAfterWarmupMiB)) : null;
  values.gateway_cpu_pct = resources.find((r) => r.role === "gateway")?.cpuMeanPct ?? null;
  const worst = (f: (r: InstanceTrend) => number | null) => {
    const v = resources.map(f).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  values.throttled_share_max = worst((r) => r.throttledShare);
  values.throttled_ms_per_s_max = worst((r) => r.throttledMsPerS);
  values.eventloop_p99_max_ms = worst((r) => r.eventLoopP99MaxMs);
  values.gc_ms_per_s_max = worst((r) => r.gcMsPerS);
  const winS = windows.length > 1 ? (windows[1].tMs - windows[0].tMs) / 1000 : 1;
  const tail = tailCause(
    windows.filter((w) => w.count > 0).map((w) => [w.tMs / 1000, w.p99Us / 1000] as const),
    resources,
    { ...DEFAULT_TAIL_RULE, thresholdMs: decideLatencyThresholdMs() },
    winS,
  );
  const d = drift(windows);
  values.p99_first_ms = Number.isFinite(d.first) ? d.first : null;
  values.p99_last_ms = Number.isFinite(d.last) ? d.last : null;
  values.p99_drift_ratio = d.ratio;
  if (sampler.source === "none")
    notes.push("no resource source for this stack (neither process nor docker chaos targets)");

  if (s.baseline) {
    const echo = await startEchoServer();
    try {
      const bDur = Math.max(3, Math.min(10, Math.round(s.durationS / 2)));
      // Same treatment as the target, which was warmed up before the first profile: a cold echo
      // server measures JIT and connection set-up, not the machine.
      await runClosedLoop({
        url: echo.url,
        connections: s.connections,
        durationS: 1,
        request: (i) => buildRequest(t, s, runId, i, {}),
      });
      if (tool === "autocannon") {
        const b = await runClosedLoop({
          url: echo.url,
          connections: s.connections,
          durationS: bDur,
          request: (i) => buildRequest(t, s, runId, i, {}),
        });
        baseline = {
          tool: "autocannon",
          throughput: b.throughput,
          p99_ms: b.latencyMs.p99,
          p50_ms: b.latencyMs.p50,
        };
      } else {
        const schedule: Schedule =
          name === "burst"
            ? { kind: "burst", size: s.burstSize, intervalMs: s.burstIntervalMs }
            : { kind: "rate", rate: s.rate };
        const b = await runOpenModel({
          url: echo.url,
          schedule,
          durationMs: bDur * 1000,
          request: (i) => buildRequest(t, s, runId, i, { minSize: 64, maxSize: 1024 }),
        });
        baseline = {
          tool: "open-model",
          throughput: b.throughput,
          p99_ms: ms(b.latencyUs.corrected.p99),
          p50_ms: ms(b.latencyUs.corrected.p50),
        };
      }
    } finally {
      await echo.stop();
    }
  }
  const ratios = baseline
    ? {
        throughput: ratio(values.throughput_rps, baseline.throughput),
        p99: ratio(values.p99_ms, baseline.p99_ms),
        p50: ratio(values.p50_ms, baseline.p50_ms),
      }
    : undefined;
  if (ratios) {
    values.throughput_vs_baseline = ratios.throughput;
    values.p99_vs_baseline = ratios.p99;
  }

  if (s.wrk && name === "sustained") {
    const w = await runWrk({
      url: t.outputs.gatewayUrl,
      connections: s.connections,
      durationS: Math.max(3, Math.min(10, s.durationS)),
      tenants: t.tenants,
      tokens: t.tenantTokens ?? {},
    });
    const pct = (ours: number | null, theirs: number) =>
      ours === null || !Number.isFinite(theirs) || theirs === 0 ? null : ((ours - theirs) / theirs) * 100;
    wrk = {
      ...w,
      diff: {
        throughput_pct: pct(values.throughput_rps, w.requestsPerSec),
        p99_pct: pct(values.p99_ms, w.latencyMs.p99),
        p50_pct: pct(values.p50_ms, w.latencyMs.p50),
      },
    };
    values.wrk_rps = w.requestsPerSec;
    values.wrk_p99_ms = w.latencyMs.p99;
    values.wrk_non2xx = w.non2xx;
  }

  const gates = evaluateGates(profileGates(name, s), values);
  return {
    name,
    tool,
    startedAt,
    durationS,
    settings: {
      connections: tool === "autocannon" ? s.connections : undefined,
      rate: tool === "open-model" && name !== "burst" ? s.rate : undefined,
      burst: name === "burst" ? { size: s.burstSize, intervalMs: s.burstIntervalMs } : undefined,
      durationS: name === "soak" ? s.soakDurationS : s.durationS,
      seed: s.seed,
      invalidShare: name === "errors" ? s.invalidShare : undefined,
      tenants: t.tenants.length,
    },
    values,
    gates,
    passed: gates.every((g) => g.passed),
    windows,
    resources,
    resourceSource: sampler.source,
    baseline,
    ratios,
    wrk,
    openModel,
    tail,
    notes,
  };
}
