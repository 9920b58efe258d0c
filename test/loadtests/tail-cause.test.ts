// The causes beside the latency: throttling, event-loop delay and GC series from raw samples, and the
// verdict rule that names a cause only when the data support it (fires and stays silent).
import assert from "node:assert/strict";
import { dockerThrottling } from "../../tooling/drivers/docker";
import { procThrottling } from "../../tooling/drivers/process";
import { analyzeResources, nodeRuntime, ResourceSample } from "../../tooling/resources";
import { parsePromText } from "../../tooling/prom-text";
import { renderTail } from "../../tooling/report/sections";
import {
  decideLatencyThresholdMs,
  DEFAULT_TAIL_RULE,
  isActive,
  pearson,
  tailCause,
} from "../../tooling/tail-cause";

const RULE = { ...DEFAULT_TAIL_RULE, thresholdMs: 50 };

/** One sample per second of one instance; `throttledMs[i]` ms throttled in second i, 10 periods each. */
function samples(
  instance: string,
  throttledMs: number[],
  opts: { elP99Ms?: number[]; gcMs?: number[] } = {},
) {
  const out: ResourceSample[] = [];
  let thr = 0;
  let gc = 0;
  let thrPeriods = 0;
  for (let i = 0; i <= throttledMs.length; i++) {
    if (i > 0) {
      thr += throttledMs[i - 1] / 1000;
      thrPeriods += throttledMs[i - 1] > 0 ? Math.min(10, Math.ceil(throttledMs[i - 1] / 10)) : 0;
      gc += (opts.gcMs?.[i - 1] ?? 0) / 1000;
    }
    out.push({
      t: i * 1000,
      role: "gateway",
      instance,
      rssBytes: 1 << 20,
      cpuSeconds: i * 0.4,
      throttle: { periods: i * 10, throttledPeriods: thrPeriods, throttledSeconds: thr },
      eventLoopP50s: 0.001,
      eventLoopP99s: (opts.elP99Ms?.[Math.max(0, i - 1)] ?? 2) / 1000,
      gcSeconds: gc,
    });
  }
  return out;
}

/** [window start s, p99 ms]: window i covers second i, as the samples' interval ending at i + 1. */
const windows = (p99: number[]) => p99.map((v, i) => [i, v] as const);

describe("loadtests: tail latency and its causes", () => {
  it("reads CFS counters from the Docker stats API (ns → s) and runtime figures from /metrics", () => {
    assert.deepEqual(
      dockerThrottling({
        cpu_stats: {
          throttling_data: { periods: 120, throttled_periods: 30, throttled_time: 2_500_000_000 },
        },
      }),
      { periods: 120, throttledPeriods: 30, throttledSeconds: 2.5 },
    );
    assert.equal(dockerThrottling({ cpu_stats: {} }), undefined);
    const rt = nodeRuntime(
      parsePromText(
        [
          "nodejs_eventloop_lag_p50_seconds 0.0102",
          "nodejs_eventloop_lag_p99_seconds 0.0203",
          'nodejs_gc_duration_seconds_sum{kind="minor"} 0.25',
          'nodejs_gc_duration_seconds_sum{kind="major"} 0.5',
        ].join("\n"),
      ),
    );
    // The monitor's 10 ms resolution is not delay: an idle loop reads 0.
    assert.equal(rt.eventLoopP50s!.toFixed(4), "0.0002");
    assert.equal(rt.eventLoopP99s!.toFixed(4), "0.0103");
    assert.equal(rt.gcSeconds, 0.75);
    assert.equal(nodeRuntime(parsePromText("nodejs_eventloop_lag_p50_seconds 0.009")).eventLoopP50s, 0);
    assert.deepEqual(nodeRuntime([]), {
      eventLoopP50s: undefined,
      eventLoopP99s: undefined,
      gcSeconds: undefined,
    });
  });

  it("reads a host process's CFS counters from its cgroup (the loopback stack's source)", () => {
    const c = procThrottling(process.pid);
    assert.ok(c, "this process's cgroup cpu.stat is readable");
    assert.ok(c.periods >= c.throttledPeriods && c.throttledSeconds >= 0, JSON.stringify(c));
    assert.equal(procThrottling(2 ** 22 + 1), undefined, "a PID that does not exist has no counters");
  });

  it("per instance: throttled share and ms/s, event-loop p50/p99, GC ms/s; no quota → null; resets skipped", () => {
    const [a] = analyzeResources(samples("g", [0, 40, 40, 0], { gcMs: [10, 10, 30, 10] }), 0);
    assert.deepEqual(
      a.throttledMsSeries.map(([x, v]) => [x, Math.round(v)]),
      [
        [1, 0],
        [2, 40],
        [3, 40],
        [4, 0],
      ],
    );
    assert.equal(a.throttledShare, 8 / 40);
    assert.equal(a.throttledMsPerS, 20);
    assert.equal(Math.round(a.gcMsPerS!), 15);
    assert.equal(a.eventLoopP50Ms, 1);
    assert.equal(a.eventLoopP99MaxMs, 2);

    // No quota: the periods counter does not grow, so there is no share to report (not 0 %).
    const flat = samples("n", [0, 0, 0]).map((s) => ({
      ...s,
      throttle: { periods: 0, throttledPeriods: 0, throttledSeconds: 0 },
    }));
    const [b] = analyzeResources(flat, 0);
    assert.equal(b.throttledShare, null);
    assert.equal(b.throttledMsPerS, null);
    assert.deepEqual(b.throttledMsSeries, []);

    // A restart resets the counters: that interval is skipped, never negative.
    const reset = samples("r", [10, 10, 10]);
    reset[2] = { ...reset[2], throttle: { periods: 1, throttledPeriods: 0, throttledSeconds: 0 } };
    const [c] = analyzeResources(reset, 0);
    assert.ok(c.throttledMsSeries.every(([, v]) => v >= 0));
    assert.deepEqual(
      c.throttledMsSeries.map(([x]) => x),
      [1, 3],
    );
  });

  it("pearson: exact lines, anti-correlation, flat or short input → null", () => {
    assert.equal(
      pearson([
        [1, 2],
        [2, 4],
        [3, 6],
      ]),
      1,
    );
    assert.equal(
      pearson([
        [1, 3],
        [2, 2],
        [3, 1],
      ]),
      -1,
    );
    assert.equal(
      pearson([
        [1, 1],
        [2, 1],
        [3, 1],
      ]),
      null,
    );
    assert.equal(
      pearson([
        [1, 1],
        [2, 2],
      ]),
      null,
    );
  });

  it("names throttling of the instance whose throttled seconds line up with the slow windows", () => {
    const thr = [0, 0, 0, 60, 70, 0, 0, 0, 80, 0, 0, 0];
    const p99 = [8, 9, 8, 120, 140, 9, 8, 10, 150, 9, 8, 9];
    const res = analyzeResources(
      [
        ...samples("gateway-0", thr),
        ...samples(
          "router-0",
          thr.map(() => 0),
        ),
      ],
      0,
    );
    const v = tailCause(windows(p99), res, RULE);
    assert.equal(v.slowWindows, 3);
    assert.ok(v.verdict, v.reason);
    assert.match(
      v.verdict!,
      /^p99 windows above the SLO threshold \(50 ms\) coincide with throttling of gateway-0 \(r = (0\.9\d|1\.00); active in 3 of 3 slow windows\)/,
    );
    assert.doesNotMatch(v.verdict!, /router-0/);
    const md = renderTail(v).join("\n");
    assert.match(md, /verdict: p99 windows above/);
    assert.match(md, /\| throttling of gateway-0 \| (0\.9\d|1\.00) \| 12 \| 3 \|/);
    assert.match(md, /method: .*Pearson/);
  });

  it("names event-loop delay or GC when those line up instead", () => {
    const p99 = [8, 9, 8, 120, 140, 9, 8, 10, 150, 9, 8, 9];
    const el = p99.map((p) => (p > 50 ? 90 : 2));
    const v = tailCause(
      windows(p99),
      analyzeResources(
        samples(
          "router-0",
          p99.map(() => 0),
          { elP99Ms: el },
        ),
        0,
      ),
      RULE,
    );
    assert.match(v.verdict ?? v.reason, /coincide with event-loop delay of router-0/);
    const gc = p99.map((p) => (p > 50 ? 60 : 5));
    const g = tailCause(
      windows(p99),
      analyzeResources(
        samples(
          "router-0",
          p99.map(() => 0),
          { gcMs: gc },
        ),
        0,
      ),
      RULE,
    );
    assert.match(g.verdict ?? g.reason, /coincide with GC of router-0/);
  });

  it("names throttling before the event-loop delay it causes, even when the delay correlates better", () => {
    const p99 = [8, 9, 8, 120, 140, 9, 8, 10, 150, 9, 8, 9, 130, 8];
    const el = p99.map((p) => (p > 50 ? p / 2 : 2)); // follows p99 exactly
    const thr = p99.map((p, i) => (p > 50 ? 60 + (i % 3) * 20 : 0)); // follows it less closely
    const v = tailCause(windows(p99), analyzeResources(samples("router-0", thr, { elP99Ms: el }), 0), RULE);
    const el0 = v.candidates.find((c) => c.cause === "event-loop delay")!;
    const th0 = v.candidates.find((c) => c.cause === "throttling")!;
    assert.ok(el0.r! > th0.r!, `event-loop r ${el0.r} > throttling r ${th0.r}`);
    assert.match(v.verdict!, /coincide with throttling of router-0 .*; also event-loop delay of router-0/);
  });

  it("stays silent: no slow window, a single slow window, throttling elsewhere in time, too few windows", () => {
    const fast = tailCause(
      windows(Array(12).fill(9)),
      analyzeResources(samples("g", Array(12).fill(30)), 0),
      RULE,
    );
    assert.equal(fast.verdict, undefined);
    assert.match(fast.reason, /no window's p99 is above 50 ms/);

    const one = [8, 9, 8, 120, 9, 9, 8, 10, 9, 9, 8, 9];
    const single = tailCause(
      windows(one),
      analyzeResources(
        samples(
          "g",
          one.map((p) => (p > 50 ? 80 : 0)),
        ),
        0,
      ),
      RULE,
    );
    assert.equal(single.verdict, undefined);
    assert.match(single.reason, /1 window above 50 ms: too few/);

    // Slow windows at 3, 4 and 8; throttling at 0, 6 and 10: no correlation, no coincidence.
    const p99 = [8, 9, 8, 120, 140, 9, 8, 10, 150, 9, 8, 9];
    const thr = [70, 0, 0, 0, 0, 0, 70, 0, 0, 0, 70, 0];
    const apart = tailCause(windows(p99), analyzeResources(samples("gateway-0", thr), 0), RULE);
    assert.equal(apart.verdict, undefined);
    assert.match(apart.reason, /no cause meets the rule \(highest r: .*\)/);

    // Two slow windows, correlated, but the cause active in only one of them: one coincidence names nothing.
    const p99b = [8, 9, 8, 120, 9, 9, 8, 10, 150, 9, 8, 9];
    const once = tailCause(
      windows(p99b),
      analyzeResources(samples("router-0", [0, 0, 0, 400, 0, 0, 0, 0, 4, 0, 0, 0]), 0),
      RULE,
    );
    assert.ok(once.candidates.find((c) => c.cause === "throttling")!.r! >= 0.5, "it does correlate");
    assert.equal(once.verdict, undefined);
    assert.match(once.reason, /active in 1 of 2 slow windows/);

    // Correlated, but 5 windows are too few for a correlation to mean anything.
    const short = tailCause(
      windows([8, 120, 9, 130, 9]),
      analyzeResources(samples("g", [0, 70, 0, 80, 0]), 0),
      RULE,
    );
    assert.equal(short.verdict, undefined);
    assert.ok(short.candidates.every((c) => c.r === null));
    assert.match(short.reason, /5 latency windows: too few for a correlation \(needs 8\)/);
  });

  it("a cause is active at its documented level; the threshold is the gateway-latency SLO's", () => {
    assert.equal(decideLatencyThresholdMs(), 50);
    assert.ok(isActive("throttling", 5, 50) && !isActive("throttling", 4.9, 50));
    assert.ok(isActive("event-loop delay", 25, 50) && !isActive("event-loop delay", 24, 50));
    assert.ok(isActive("GC", 20, 50) && !isActive("GC", 19, 50));
  });
});
