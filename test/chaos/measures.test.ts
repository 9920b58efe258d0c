import assert from "node:assert/strict";
import {
  blastRadius,
  burnRate,
  errorWindow,
  firstSuccessAfter,
  percentile,
  perSecond,
  RequestRecord,
  timeToDetect,
  slowSeconds,
  timeToRecover,
} from "../../chaos/measures";
import { DEFAULT_STEADY_STATE } from "../../chaos/model";
import { computeMeasures } from "../../chaos/runner";
import { natsKillRestart } from "../../chaos/experiments/nats";

/** 10 requests per second on one path from `from` to `to` (ms), with outcome and latency by time. */
function series(
  from: number,
  to: number,
  f: (t: number) => { outcome: RequestRecord["outcome"]; latency: number },
  path: RequestRecord["path"] = "sync",
) {
  const out: RequestRecord[] = [];
  for (let t = from; t < to; t += 100) {
    const { outcome, latency } = f(t);
    out.push({ path, intendedAt: t, sentAt: t, doneAt: t + latency, outcome });
  }
  return out;
}

const ss = { ...DEFAULT_STEADY_STATE, p99SlackMs: 0 };

describe("chaos measures", () => {
  it("percentile uses nearest rank", () => {
    assert.equal(percentile([], 99), undefined);
    assert.equal(percentile([5], 99), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  });

  it("time to recover is the first moment after the fault from which 10 s stay within SLO and p99 bound", () => {
    // Fault ends at 10 s; failures until 12 s, slow (30 ms vs 10 ms baseline) until 13 s, then healthy.
    const recs = series(0, 40000, (t) =>
      t >= 5000 && t < 12000
        ? { outcome: "fail", latency: 5 }
        : t >= 12000 && t < 13000
          ? { outcome: "ok", latency: 30 }
          : { outcome: "ok", latency: 10 },
    );
    // From 12.9 s the window holds one slow request in 100: p99 (nearest rank) is already 10 ms.
    const ttr = timeToRecover(recs, 10000, 40000, 10, ss);
    assert.equal(ttr, 2900);
  });

  it("tolerates up to 1 % failures inside the hold window but not more", () => {
    const oneBad = series(0, 30000, (t) =>
      t === 15000 ? { outcome: "fail", latency: 1 } : { outcome: "ok", latency: 10 },
    );
    assert.equal(timeToRecover(oneBad, 10000, 30000, 10, ss), 0); // 1 of 100 → 99 %
    const twoBad = series(0, 30000, (t) =>
      t === 15000 || t === 15100 ? { outcome: "fail", latency: 1 } : { outcome: "ok", latency: 10 },
    );
    assert.equal(timeToRecover(twoBad, 10000, 30000, 10, ss), 5100); // from the 2nd failure on: 1 in 100
  });

  it("is undefined when the hold window is not fully observed", () => {
    const recs = series(0, 15000, () => ({ outcome: "ok", latency: 10 }));
    assert.equal(timeToRecover(recs, 10000, 15000, 10, ss), undefined);
  });

  it("is undefined while p99 stays above the bound", () => {
    const recs = series(0, 30000, (t) => ({ outcome: "ok", latency: t < 10000 ? 10 : 13 }));
    assert.equal(timeToRecover(recs, 10000, 30000, 10, ss), undefined);
    assert.equal(timeToRecover(recs, 10000, 30000, 10, { ...ss, p99SlackMs: 1 }), 0);
  });

  it("tolerates one isolated slow second inside the hold window (a machine stall), not two", () => {
    // Baseline p99 10 ms, bound 12 ms; everything fine after the fault but the named seconds, whose
    // requests take 170 ms (the stall seen in CI).
    const stalls = (slow: number[]) =>
      series(0, 40000, (t) => ({
        outcome: "ok",
        latency: slow.some((s) => t >= s && t < s + 1000) ? 170 : 10,
      }));
    // 10 slow requests of 100 in the window: the window's p99 is over the bound, yet recovered at once
    // (the window rule alone would say 5.9 s, when only the stall's last request is left).
    assert.equal(timeToRecover(stalls([15000]), 10000, 40000, 10, ss), 0);
    // Two slow seconds apart: no window holding both counts; recovery starts once the first is behind
    // (the window from 14 s holds only the second, and not as its first second).
    assert.equal(timeToRecover(stalls([13000, 17000]), 10000, 40000, 10, ss), 4000);
    // Two slow seconds in a row are not isolated: recovery starts when only the last slow request (1 of
    // 100, within the window's p99) is left, at 14.9 s.
    assert.equal(timeToRecover(stalls([13000, 14000]), 10000, 40000, 10, ss), 4900);
  });

  it("does not count a slow first second as recovered", () => {
    const recs = series(0, 40000, (t) => ({ outcome: "ok", latency: t >= 10000 && t < 11000 ? 170 : 10 }));
    // Every window that starts inside the slow second has it as its first second; recovery comes when
    // only its last request (1 of 100, within the window's p99) is left: at 10.9 s.
    assert.equal(timeToRecover(recs, 10000, 40000, 10, ss), 900);
  });

  it("slowSeconds lists the 1 s buckets over the bound", () => {
    const recs = series(0, 5000, (t) => ({ outcome: "ok", latency: t >= 2000 && t < 3000 ? 50 : 10 }));
    assert.deepEqual(slowSeconds(recs, 0, 12), [2]);
    assert.deepEqual(slowSeconds(recs, 500, 12), [1, 2]);
    assert.deepEqual(slowSeconds(recs, 0, 60), []);
  });

  it("first success, error window and blast radius", () => {
    const recs = series(0, 10000, (t) =>
      t >= 3000 && t < 5000
        ? { outcome: t % 200 ? "unknown" : "fail", latency: 50 }
        : { outcome: "ok", latency: 10 },
    );
    assert.equal(firstSuccessAfter(recs, 4500, "sync"), 510); // request at 5000 done at 5010
    assert.equal(firstSuccessAfter(recs, 4500, "durable"), undefined);
    assert.deepEqual(errorWindow(recs, 0), { start: 3000, end: 4950, ms: 1950 });
    assert.deepEqual(errorWindow(recs, 6000), { ms: 0 });
    const b = blastRadius(recs);
    assert.equal(b.total, 100);
    assert.equal(b.failed + b.unknown, 20);
    assert.equal(b.share, 0.2);
  });

  it("time to detect counts only alerts that started firing after the fault began", () => {
    const t = timeToDetect(
      [
        { name: "NatsDown", firstFiringAt: 15000, preexisting: false },
        { name: "Old", firstFiringAt: 1000, preexisting: true },
        { name: "Pending", preexisting: false },
      ],
      10000,
    );
    assert.deepEqual(t, { NatsDown: 5000 });
  });

  it("per-second buckets and burn rate", () => {
    const recs = series(0, 2000, (t) =>
      t < 1000 ? { outcome: "ok", latency: 10 } : { outcome: t < 1500 ? "fail" : "ok", latency: 20 },
    );
    const b = perSecond(recs, 0, 2000);
    assert.equal(b.length, 2);
    assert.equal(b[0].ok.sync, 10);
    assert.equal(b[1].fail.sync, 5);
    assert.equal(b[1].p99, 20);
    assert.equal(burnRate(b[0], 0.99), 0);
    assert.ok(Math.abs(burnRate(b[1], 0.99) - 50) < 1e-9); // 50 % errors / 1 % budget
  });

  it("computeMeasures combines both paths: recovery is the slower path's", () => {
    const sync = series(0, 40000, (t) =>
      t >= 5000 && t < 11000 ? { outcome: "fail", latency: 1 } : { outcome: "ok", latency: 10 },
    );
    const durable = series(
      0,
      40000,
      (t) => (t >= 5000 && t < 14000 ? { outcome: "unknown", latency: 1 } : { outcome: "ok", latency: 10 }),
      "durable",
    );
    const m = computeMeasures(natsKillRestart, [...sync, ...durable], [], 0, 5000, 10000, 40000);
    assert.equal(m.baselineP99Ms.sync, 10);
    assert.equal(m.timeToRecoverByPath.sync, 900);
    assert.equal(m.timeToRecoverByPath.durable, 3900);
    assert.equal(m.timeToRecoverMs, 3900);
    assert.equal(m.firstSuccessAfterFaultMs.sync, 1010);
    assert.equal(m.errorWindowMs, 8901);
  });
});
