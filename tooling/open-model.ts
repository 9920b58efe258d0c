// Open-model (fixed-rate) load driver. Requests are scheduled at planned times that do not depend on
// how fast the target answers, and each request's latency is measured from its INTENDED send time, so
// a stalled server shows up as queueing delay instead of being hidden by coordinated omission
// (autocannon's rate mode sends in bursts and rounds its expected interval to 1 ms).
//
// Every attempt gets exactly one record and one outcome:
//   ok      - an HTTP answer the classifier accepts (default: 2xx)
//   fail    - an explicit failure: an HTTP answer the classifier rejects, connection refused, or a send
//             dropped because the in-flight bound was reached (the request never left)
//   unknown - the request may or may not have been processed: timeout, reset, socket closed mid-flight
// The success rate counts every intended attempt, dropped ones included.
import * as hdr from "hdr-histogram-js";
import { Pool } from "undici";
import { percentiles } from "./stats";

export type Outcome = "ok" | "fail" | "unknown";

export interface PlannedRequest {
  /** Path with query, e.g. "/api/v1/routes/decide". */
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RequestRecord {
  /** 0-based index in the schedule. */
  id: number;
  /** Wall-clock times in epoch milliseconds with sub-millisecond precision. */
  intendedAt: number;
  /** When the request was handed to the client; equals intendedAt for dropped sends. */
  sentAt: number;
  doneAt: number;
  /** From intended send time to completion (corrected for coordinated omission), microseconds. */
  latencyUs: number;
  /** From actual send time to completion (uncorrected), microseconds. */
  serviceUs: number;
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  outcome: Outcome;
  method: string;
  path: string;
  /** The send started later than the late threshold after its intended time. */
  late: boolean;
  /** Never sent because `maxInFlight` requests were outstanding. */
  dropped: boolean;
  /** Client-side error (code or message) for status 0. */
  error?: string;
  /** Response body (only when `captureBody` is set). */
  body?: string;
  /** Response headers (only when `captureBody` is set). */
  headers?: Record<string, string>;
  /** The planned request's own `tag`, copied through for the caller's ledger. */
  tag?: unknown;
}

export type Schedule =
  /** Evenly spaced sends at `rate` per second. */
  | { kind: "rate"; rate: number }
  /** `size` sends at once every `intervalMs` (burst profile). */
  | { kind: "burst"; size: number; intervalMs: number };

export interface OpenModelOptions {
  /** Origin of the target, e.g. http://127.0.0.1:8080. */
  url: string;
  schedule: Schedule;
  /** Stop planning sends after this long (ms). At least one of durationMs / count is required. */
  durationMs?: number;
  /** Stop after this many planned sends. */
  count?: number;
  /** Builds the i-th request; may attach a `tag` that is copied to the record. */
  request: (i: number) => PlannedRequest & { tag?: unknown };
  /** Maps an HTTP answer to an outcome; default: 2xx ok, everything else fail. */
  classify?: (status: number, record: RequestRecord) => Outcome;
  /** Called once per attempt (dropped sends included) when its outcome is known. */
  onRecord?: (record: RequestRecord) => void;
  /** At most this many requests outstanding; sends planned beyond it are dropped (default 1000). */
  maxInFlight?: number;
  /** Per-request timeout in ms (headers and body); a timed-out attempt is `unknown` (default 10000). */
  timeoutMs?: number;
  /** TCP connections in the pool (default: maxInFlight, opened as needed). */
  connections?: number;
  /** A send that starts more than this many ms after its intended time counts as late (default 5). */
  lateThresholdMs?: number;
  /** Width of the time-series windows in ms (default 1000). */
  windowMs?: number;
  /** Keep response bodies and headers in the records. */
  captureBody?: boolean;
  /** Aborts the run early; outstanding requests end as `unknown`. */
  signal?: AbortSignal;
  /** Called about once per second with progress (for a live line). */
  onProgress?: (p: {
    elapsedMs: number;
    planned: number;
    sent: number;
    done: number;
    inFlight: number;
  }) => void;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** One time window (by completion time) of the run. */
export interface WindowStat {
  /** Window start, ms since the run started. */
  tMs: number;
  count: number;
  ok: number;
  fail: number;
  unknown: number;
  s2xx: number;
  s4xx: number;
  s5xx: number;
  /** Corrected latency percentiles of the window, microseconds (NaN when empty). */
  p50Us: number;
  p95Us: number;
  p99Us: number;
  maxUs: number;
}

export interface OpenModelResult {
  startedAt: string;
  schedule: Schedule;
  planned: number;
  sent: number;
  ok: number;
  fail: number;
  unknown: number;
  dropped: number;
  late: number;
  /** Largest send delay behind plan, microseconds. */
  maxLateUs: number;
  /** ok / planned. */
  successRate: number;
  statusCounts: Record<string, number>;
  errorCounts: Record<string, number>;
  /** From the first intended send to the last completion, ms. */
  elapsedMs: number;
  /** Completions per second over elapsedMs. */
  throughput: number;
  /** Latency from intended send time (corrected) and from actual send time (uncorrected), µs. */
  latencyUs: { corrected: LatencySummary; uncorrected: LatencySummary };
  windows: WindowStat[];
}

const MAX_TRACKABLE_US = 600_000_000; // 10 minutes

function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    numberOfSignificantValueDigits: 3,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKABLE_US,
    useWebAssembly: false,
  });
}

function summarize(h: hdr.Histogram): LatencySummary {
  const count = h.totalCount;
  const at = (p: number) => (count ? h.getValueAtPercentile(p) : NaN);
  return {
    count,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    max: count ? h.maxValue : NaN,
    mean: count ? h.mean : NaN,
  };
}

/** Wall-clock now in epoch ms with sub-ms resolution (monotonic within the process). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Planned offset (ms from start) of the i-th send. */
export function plannedOffsetMs(schedule: Schedule, i: number): number {
  if (schedule.kind === "rate") return (i * 1000) / schedule.rate;
  return Math.floor(i / schedule.size) * schedule.intervalMs;
}

/** Number of sends planned for a duration (ms) under a schedule. */
export function plannedCount(schedule: Schedule, durationMs: number): number {
  if (schedule.kind === "rate") return Math.max(1, Math.floor((schedule.rate * durationMs) / 1000));
  return Math.max(1, Math.ceil(durationMs / schedule.intervalMs)) * schedule.size;
}

/** Whether a client error leaves the request's fate unknown (it may have been processed). */
export function errorOutcome(code: string): Outcome {
  // Connection refused / no route: the request never reached a server, so it was certainly not processed.
  if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND") return "fail";
  // Timeouts, resets and anything unrecognised: the server may have processed it.
  return "unknown";
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; name?: string; cause?: { code?: string }; message?: string };
  return err?.code ?? err?.cause?.code ?? err?.name ?? String(err?.message ?? e);
}

/** Runs one open-model load; resolves when every planned send has an outcome. */
export async function runOpenModel(opts: OpenModelOptions): Promise<OpenModelResult> {
  if (opts.durationMs === undefined && opts.count === undefined) {
    throw new Error("runOpenModel: set durationMs or count (the run must be bounded)");
  }
  if (opts.schedule.kind === "rate" && !(opts.schedule.rate > 0)) {
    throw new Error(`runOpenModel: rate must be > 0, got ${opts.schedule.rate}`);
  }
  if (opts.schedule.kind === "burst" && !(opts.schedule.size > 0 && opts.schedule.intervalMs > 0)) {
    throw new Error("runOpenModel: burst size and intervalMs must be > 0");
  }
  const planned = Math.min(
    opts.count ?? Number.MAX_SAFE_INTEGER,
    opts.durationMs !== undefined ? plannedCount(opts.schedule, opts.durationMs) : Number.MAX_SAFE_INTEGER,
  );
  const maxInFlight = opts.maxInFlight ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 10000;
  const lateUs = (opts.lateThresholdMs ?? 5) * 1000;
  const windowMs = opts.windowMs ?? 1000;
  const classify =
    opts.classify ?? ((status: number) => (status >= 200 && status < 300 ? "ok" : "fail") as Outcome);
  const pool = new Pool(opts.url, {
    // One connection per outstanding request by default (created lazily): a client-side queue in the
    // pool would hold requests back and blur the uncorrected latency; the in-flight bound limits it.
    connections: opts.connections ?? maxInFlight,
    pipelining: 1,
    headersTimeout: timeoutMs + 1000,
    bodyTimeout: timeoutMs + 1000,
    connectTimeout: Math.min(timeoutMs, 10000),
    keepAliveTimeout: 30000,
  });
  const abort = new AbortController();
  const live = new Set<AbortController>();
  abort.signal.addEventListener("abort", () => live.forEach((c) => c.abort()));
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener("abort", onOuterAbort);

  const corrected = newHistogram();
  const uncorrected = newHistogram();
  const statusCounts: Record<string, number> = {};
  const errorCounts: Record<string, number> = {};
  let sent = 0;
  let done = 0;
  let ok = 0;
  let fail = 0;
  let unknown = 0;
  let dropped = 0;
  let late = 0;
  let maxLateUs = 0;
  let inFlight = 0;
  let lastDone = 0;

  // Time windows by completion time. Completions arrive in time order, so a window is final as soon
  // as a later one opens; only the open window keeps raw samples.
  const windows: WindowStat[] = [];
  let openWin: { idx: number; lat: number[]; stat: WindowStat } | undefined;
  const closeWindow = () => {
    if (!openWin) return;
    const [p50, p95, p99, max] = percentiles(openWin.lat, [50, 95, 99, 100]);
    Object.assign(openWin.stat, { p50Us: p50, p95Us: p95, p99Us: p99, maxUs: max });
    windows.push(openWin.stat);
    openWin = undefined;
  };

  const start = nowMs() + 5; // a few ms of slack so the first sends are not late by construction
  let finishAll!: () => void;
  const allDone = new Promise<void>((r) => (finishAll = r));

  const record = (r: RequestRecord) => {
    done++;
    lastDone = Math.max(lastDone, r.doneAt);
    if (r.outcome === "ok") ok++;
    else if (r.outcome === "fail") fail++;
    else unknown++;
    if (r.status) statusCounts[r.status] = (statusCounts[r.status] ?? 0) + 1;
    if (r.error) errorCounts[r.error] = (errorCounts[r.error] ?? 0) + 1;
    if (!r.dropped) {
      corrected.recordValue(Math.min(MAX_TRACKABLE_US, Math.max(1, r.latencyUs)));
      uncorrected.recordValue(Math.min(MAX_TRACKABLE_US, Math.max(1, r.serviceUs)));
    }
    const idx = Math.max(0, Math.floor((r.doneAt - start) / windowMs));
    if (!openWin || openWin.idx !== idx) {
      if (openWin && idx < openWin.idx) {
        // A completion stamped slightly before the open window (timer skew): count it in the open one.
      } else {
        closeWindow();
        for (let k = windows.length ? windows[windows.length - 1].tMs / windowMs + 1 : 0; k < idx; k++) {
          windows.push(emptyWindow(k * windowMs));
        }
        openWin = { idx, lat: [], stat: emptyWindow(idx * windowMs) };
      }
    }
    const w = openWin!.stat;
    w.count++;
    w[r.outcome]++;
    if (r.status >= 200 && r.status < 300) w.s2xx++;
    else if (r.status >= 400 && r.status < 500) w.s4xx++;
    else if (r.status >= 500) w.s5xx++;
    if (!r.dropped) openWin!.lat.push(r.latencyUs);
    try {
      opts.onRecord?.(r);
    } catch {
      // A faulty callback must not stop the run or skew the counts.
    }
    if (done === planned) finishAll();
  };

  const fire = async (i: number, intendedAt: number) => {
    const req = opts.request(i);
    const method = req.method ?? (req.body !== undefined ? "POST" : "GET");
    const base: Omit<RequestRecord, "sentAt" | "doneAt" | "latencyUs" | "serviceUs" | "status" | "outcome"> =
      {
        id: i,
        intendedAt,
        method,
        path: req.path,
        late: false,
        dropped: false,
        tag: req.tag,
      };
    if (inFlight >= maxInFlight || abort.signal.aborted) {
      dropped++;
      const t = nowMs();
      record({
        ...base,
        sentAt: intendedAt,
        doneAt: t,
        latencyUs: 0,
        serviceUs: 0,
        status: 0,
        outcome: "fail",
        dropped: true,
        error: abort.signal.aborted ? "aborted before send" : "dropped: max in-flight reached",
      });
      return;
    }
    const sentAt = nowMs();
    const behindUs = Math.round((sentAt - intendedAt) * 1000);
    base.late = behindUs > lateUs;
    if (base.late) late++;
    maxLateUs = Math.max(maxLateUs, behindUs);
    inFlight++;
    sent++;
    let status = 0;
    let outcome: Outcome;
    let error: string | undefined;
    let body: string | undefined;
    let headers: Record<string, string> | undefined;
    // Own timer per request: undici's pool-level timeouts are coarse, and one AbortController per
    // request (tracked in `live`) lets a global abort end everything without piling listeners up.
    const ac = new AbortController();
    live.add(ac);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, timeoutMs);
    try {
      const res = await pool.request({
        path: req.path,
        method: method as "GET",
        headers: req.headers,
        body: req.body,
        signal: ac.signal,
      });
      status = res.statusCode;
      if (opts.captureBody) {
        body = await res.body.text();
        headers = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        }
      } else {
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      }
      outcome = "ok"; // replaced by the classifier below
    } catch (e) {
      error = timedOut ? "timeout" : errorCode(e);
      outcome = errorOutcome(error);
    }
    clearTimeout(timer);
    live.delete(ac);
    const doneAt = nowMs();
    inFlight--;
    const rec: RequestRecord = {
      ...base,
      sentAt,
      doneAt,
      latencyUs: Math.round((doneAt - intendedAt) * 1000),
      serviceUs: Math.round((doneAt - sentAt) * 1000),
      status,
      outcome,
      error,
      body,
      headers,
    };
    if (!error) rec.outcome = classify(status, rec);
    record(rec);
  };

  // Scheduler: fire everything whose planned time has come, then sleep until the next one. Node timers
  // have ~1 ms granularity, so sends can trail plan by about a millisecond; the late counter shows it.
  let next = 0;
  let lastProgress = start;
  const hardStop = setTimeout(
    () => abort.abort(),
    (opts.durationMs ?? plannedOffsetMs(opts.schedule, planned)) + timeoutMs + 5000,
  );
  hardStop.unref?.();
  await new Promise<void>((resolveSchedule) => {
    const tick = () => {
      const now = nowMs();
      while (next < planned && start + plannedOffsetMs(opts.schedule, next) <= now) {
        void fire(next, start + plannedOffsetMs(opts.schedule, next));
        next++;
      }
      if (opts.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        opts.onProgress({ elapsedMs: now - start, planned, sent, done, inFlight });
      }
      if (next >= planned || abort.signal.aborted) {
        // Anything not yet fired after an abort still gets a record (dropped), so counts add up.
        while (next < planned) {
          void fire(next, start + plannedOffsetMs(opts.schedule, next));
          next++;
        }
        resolveSchedule();
        return;
      }
      const wait = start + plannedOffsetMs(opts.schedule, next) - nowMs();
      if (wait <= 0) setImmediate(tick);
      else setTimeout(tick, wait);
    };
    tick();
  });
  const progressTimer = opts.onProgress
    ? setInterval(() => opts.onProgress!({ elapsedMs: nowMs() - start, planned, sent, done, inFlight }), 1000)
    : undefined;
  if (done < planned) await allDone;
  if (progressTimer) clearInterval(progressTimer);
  clearTimeout(hardStop);
  opts.signal?.removeEventListener("abort", onOuterAbort);
  closeWindow();
  await pool.close().catch(() => undefined);

  const elapsedMs = Math.max(1, lastDone - start);
  const result: OpenModelResult = {
    startedAt: new Date(start).toISOString(),
    schedule: opts.schedule,
    planned,
    sent,
    ok,
    fail,
    unknown,
    dropped,
    late,
    maxLateUs: Math.max(0, maxLateUs),
    successRate: planned ? ok / planned : 0,
    statusCounts,
    errorCounts,
    elapsedMs,
    throughput: (done / elapsedMs) * 1000,
    latencyUs: { corrected: summarize(corrected), uncorrected: summarize(uncorrected) },
    windows,
  };
  corrected.destroy();
  uncorrected.destroy();
  return result;
}

function emptyWindow(tMs: number): WindowStat {
  return {
    tMs,
    count: 0,
    ok: 0,
    fail: 0,
    unknown: 0,
    s2xx: 0,
    s4xx: 0,
    s5xx: 0,
    p50Us: NaN,
    p95Us: NaN,
    p99Us: NaN,
    maxUs: NaN,
  };
}
