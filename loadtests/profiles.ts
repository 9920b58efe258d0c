// Load profiles and their gates. Each profile drives the gateway's decide endpoint through one tool
// (autocannon closed-loop for max throughput, the open-model driver for fixed-rate, burst, mixed,
// errors and soak), samples resources meanwhile, and measures a same-run baseline with the same tool.
import crypto from "node:crypto";
import type { StackOutputs } from "../stacks/outputs";
import { ratio, startEchoServer } from "./baseline";
import { runClosedLoop } from "./closed-loop";
import { evaluateGates, Gate, GateResult } from "./gates";
import { OpenModelOptions, OpenModelResult, runOpenModel, Schedule, WindowStat } from "../tooling/open-model";
import { plannedBody } from "./payloads";
import { analyzeResources, InstanceTrend, ResourceSampler } from "../tooling/resources";
import { firstLast, percentiles } from "../tooling/stats";
import { decideLatencyThresholdMs, DEFAULT_TAIL_RULE, tailCause, TailVerdict } from "../tooling/tail-cause";
import { runWrk, WrkResult } from "./wrk";
import { GATEWAY_ROUTES } from "../services/common/service-contract";

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

/** Payload sizes of a profile's requests and the share of deliberately invalid ones (payloads.ts). */
export interface BodyOptions {
  minSize?: number;
  maxSize?: number;
  invalidShare?: number;
}

/** One load profile as data: the runner (runProfile) reads these fields and branches on nothing else. */
export interface LoadProfile {
  tool: "autocannon" | "open-model";
  /** Open-model send schedule (autocannon profiles run closed-loop at --connections instead). */
  schedule?: (s: RunSettings) => Schedule;
  /** How long it runs, seconds. */
  durationS: (s: RunSettings) => number;
  /** Request bodies. */
  body: (s: RunSettings) => BodyOptions;
  /** Resource sampling interval, ms (default 1000). */
  sampleMs?: (s: RunSettings) => number;
  /** Open-model result window, ms, from the duration in seconds (default 1000). */
  windowMs?: (durationS: number) => number;
  /** With --wrk, cross-checked by wrk after the run. */
  wrkCrossCheck?: boolean;
  /** The declared gates (thresholds can be overridden per run with --gate profile.metric=N). */
  gates: (s: RunSettings) => Gate[];
}

const SUCCESS: Gate = {
  metric: "success_rate",
  op: ">=",
  threshold: 0.999,
  why: "≥ 99.9 % of attempts succeed",
};
const NO_5XX: Gate = { metric: "http_5xx", op: "==", threshold: 0, why: "no server errors under load" };
const FIXED_160B: BodyOptions = { minSize: 160, maxSize: 160 };
const MIXED_SIZES: BodyOptions = { minSize: 64, maxSize: 1024 };
const atRate = (s: RunSettings): Schedule => ({ kind: "rate", rate: s.rate });
const loadDuration = (s: RunSettings) => s.durationS;

export const PROFILES: Record<ProfileName, LoadProfile> = {
  sustained: {
    tool: "autocannon",
    durationS: loadDuration,
    body: () => ({}),
    wrkCrossCheck: true,
    gates: () => [
      SUCCESS,
      NO_5XX,
      { metric: "p99_ms", op: "<=", threshold: 1000, unit: "ms", why: "closed-loop p99 at 100 connections" },
    ],
  },
  rate: {
    tool: "open-model",
    schedule: atRate,
    durationS: loadDuration,
    body: () => FIXED_160B,
    gates: () => [
      SUCCESS,
      NO_5XX,
      { metric: "p99_ms", op: "<=", threshold: 500, unit: "ms", why: "corrected p99 at the fixed rate" },
      { metric: "dropped", op: "==", threshold: 0 },
    ],
  },
  burst: {
    tool: "open-model",
    schedule: (s) => ({ kind: "burst", size: s.burstSize, intervalMs: s.burstIntervalMs }),
    durationS: loadDuration,
    body: () => FIXED_160B,
    gates: () => [
      SUCCESS,
      NO_5XX,
      { metric: "p99_ms", op: "<=", threshold: 750, unit: "ms", why: "corrected p99 with 50-request bursts" },
    ],
  },
  mixed: {
    tool: "open-model",
    schedule: atRate,
    durationS: loadDuration,
    body: () => MIXED_SIZES,
    gates: () => [
      SUCCESS,
      NO_5XX,
      {
        metric: "p99_ms",
        op: "<=",
        threshold: 500,
        unit: "ms",
        why: "corrected p99 with 64-1024 B payloads",
      },
    ],
  },
  errors: {
    tool: "open-model",
    schedule: atRate,
    durationS: loadDuration,
    body: (s) => ({ ...MIXED_SIZES, invalidShare: s.invalidShare }),
    gates: () => [
      { metric: "valid_success_rate", op: ">=", threshold: 0.999, why: "valid requests still succeed" },
      {
        metric: "unexpected_4xx",
        op: "==",
        threshold: 0,
        why: "exactly the injected invalid requests get a 4xx",
      },
      { metric: "http_5xx", op: "==", threshold: 0, why: "invalid input never causes a 5xx" },
    ],
  },
  soak: {
    tool: "open-model",
    schedule: atRate,
    durationS: (s) => s.soakDurationS,
    body: () => MIXED_SIZES,
    // About 600 resource samples and 300 result windows however long the soak is.
    sampleMs: (s) => Math.max(1000, (s.soakDurationS * 1000) / 600),
    windowMs: (durationS) => Math.max(1000, Math.round((durationS * 1000) / 300)),
    gates: (s) => [
      SUCCESS,
      NO_5XX,
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
  },
};

/** The declared gates of a profile with this run's --gate overrides applied. */
export function profileGates(name: ProfileName, s: RunSettings): Gate[] {
  return PROFILES[name].gates(s).map((g) => {
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

const DECIDE = GATEWAY_ROUTES.decide;

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
function buildRequest(t: LoadTarget, s: RunSettings, runId: string, i: number, opts: BodyOptions) {
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

/** What one run of a tool gives the profile result: its windows and values (and the open-model summary). */
interface ToolRun {
  windows: WindowStat[];
  values: Record<string, number | null>;
  openModel?: ProfileResult["openModel"];
}

async function closedLoopRun(t: LoadTarget, s: RunSettings, runId: string, p: LoadProfile): Promise<ToolRun> {
  const r = await runClosedLoop({
    url: t.outputs.gatewayUrl,
    connections: s.connections,
    durationS: p.durationS(s),
    request: (i) => buildRequest(t, s, runId, i, p.body(s)),
  });
  const total = r.requests + r.errors;
  return {
    windows: r.windows,
    values: {
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
    },
  };
}

async function openModelRun(
  t: LoadTarget,
  s: RunSettings,
  runId: string,
  p: LoadProfile,
  progress: OpenModelOptions["onProgress"],
): Promise<ToolRun> {
  const schedule = p.schedule!(s);
  const durationS = p.durationS(s);
  const bodyOpts = p.body(s);
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
      const tag = rec.tag as { valid: boolean };
      if (!tag.valid) return status >= 400 && status < 500 ? "ok" : "fail";
      return status >= 200 && status < 300 ? "ok" : "fail";
    },
    onRecord: (rec) => {
      const tag = rec.tag as { valid: boolean };
      if (!tag.valid) {
        expectedInvalid++;
        if (rec.status >= 400 && rec.status < 500) invalid4xx++;
      } else {
        valid++;
        if (rec.outcome === "ok") validOk++;
        if (rec.status >= 400 && rec.status < 500) unexpected4xx++;
      }
    },
    timeoutMs: 10000,
    windowMs: p.windowMs?.(durationS) ?? 1000,
    onProgress: progress,
  });
  const { windows, ...openModel } = r;
  const c = r.latencyUs.corrected;
  const u = r.latencyUs.uncorrected;
  const count = (lo: number) =>
    Object.entries(r.statusCounts).reduce(
      (a, [k, v]) => (Number(k) >= lo && Number(k) < lo + 100 ? a + v : a),
      0,
    );
  const values: Record<string, number | null> = {
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
  };
  if (bodyOpts.invalidShare !== undefined) {
    Object.assign(values, {
      expected_4xx: expectedInvalid,
      invalid_answered_4xx: invalid4xx,
      // Wrong 4xx count in either direction: invalid ones not rejected, or valid ones rejected.
      unexpected_4xx: Math.abs(expectedInvalid - invalid4xx) + unexpected4xx,
      valid_success_rate: valid ? validOk / valid : 0,
    });
  }
  return { windows, values, openModel };
}

/** The same-run baseline: a bare echo server driven by the profile's tool and schedule. */
async function measureBaseline(
  t: LoadTarget,
  s: RunSettings,
  runId: string,
  p: LoadProfile,
): Promise<NonNullable<ProfileResult["baseline"]>> {
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
    if (p.tool === "autocannon") {
      const b = await runClosedLoop({
        url: echo.url,
        connections: s.connections,
        durationS: bDur,
        request: (i) => buildRequest(t, s, runId, i, {}),
      });
      return {
        tool: "autocannon",
        throughput: b.throughput,
        p99_ms: b.latencyMs.p99,
        p50_ms: b.latencyMs.p50,
      };
    }
    const b = await runOpenModel({
      url: echo.url,
      schedule: p.schedule!(s),
      durationMs: bDur * 1000,
      request: (i) => buildRequest(t, s, runId, i, MIXED_SIZES),
    });
    return {
      tool: "open-model",
      throughput: b.throughput,
      p99_ms: ms(b.latencyUs.corrected.p99),
      p50_ms: ms(b.latencyUs.corrected.p50),
    };
  } finally {
    await echo.stop();
  }
}

/** wrk with the same connections against the same endpoint, and our numbers' difference from it. */
async function wrkCrossCheck(
  t: LoadTarget,
  s: RunSettings,
  values: Record<string, number | null>,
): Promise<NonNullable<ProfileResult["wrk"]>> {
  const w = await runWrk({
    url: t.outputs.gatewayUrl,
    connections: s.connections,
    durationS: Math.max(3, Math.min(10, s.durationS)),
    tenants: t.tenants,
    tokens: t.tenantTokens ?? {},
  });
  const pct = (ours: number | null, theirs: number) =>
    ours === null || !Number.isFinite(theirs) || theirs === 0 ? null : ((ours - theirs) / theirs) * 100;
  return {
    ...w,
    diff: {
      throughput_pct: pct(values.throughput_rps, w.requestsPerSec),
      p99_pct: pct(values.p99_ms, w.latencyMs.p99),
      p50_pct: pct(values.p50_ms, w.latencyMs.p50),
    },
  };
}

export async function runProfile(name: ProfileName, t: LoadTarget, s: RunSettings): Promise<ProfileResult> {
  const p = PROFILES[name];
  const runId = `load-${name}-${crypto.randomBytes(4).toString("hex")}`;
  const sampler = new ResourceSampler(t.outputs, p.sampleMs?.(s) ?? 1000);
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const notes: string[] = [];
  const progress = (x: { elapsedMs: number; planned: number; done: number; inFlight: number }) =>
    s.onProgress?.(
      `${name}: ${(x.elapsedMs / 1000).toFixed(0)} s, ${x.done}/${x.planned} done, ${x.inFlight} in flight`,
    );

  sampler.start();
  let run: ToolRun;
  try {
    run =
      p.tool === "autocannon"
        ? await closedLoopRun(t, s, runId, p)
        : await openModelRun(t, s, runId, p, progress);
  } finally {
    await sampler.stop();
  }
  const { windows, values, openModel } = run;
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

  const baseline = s.baseline ? await measureBaseline(t, s, runId, p) : undefined;
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

  const wrk = s.wrk && p.wrkCrossCheck ? await wrkCrossCheck(t, s, values) : undefined;
  if (wrk) {
    values.wrk_rps = wrk.requestsPerSec;
    values.wrk_p99_ms = wrk.latencyMs.p99;
    values.wrk_non2xx = wrk.non2xx;
  }

  const gates = evaluateGates(profileGates(name, s), values);
  const schedule = p.schedule?.(s);
  return {
    name,
    tool: p.tool,
    startedAt,
    durationS,
    settings: {
      connections: p.tool === "autocannon" ? s.connections : undefined,
      rate: schedule?.kind === "rate" ? schedule.rate : undefined,
      burst:
        schedule?.kind === "burst" ? { size: schedule.size, intervalMs: schedule.intervalMs } : undefined,
      durationS: p.durationS(s),
      seed: s.seed,
      invalidShare: p.body(s).invalidShare,
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
