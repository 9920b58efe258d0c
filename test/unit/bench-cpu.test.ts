// The pure parts of `npm run bench:cpu`: its flags, the order of the limits and the table.
import assert from "node:assert/strict";
import { DEFAULT_OPTIONS, parseArgs, renderTable, Row, stepSequence } from "../../scripts/bench-cpu";

describe("bench-cpu", () => {
  describe("parseArgs", () => {
    it("defaults to 300 req/s for 30 s after a 10 s warm-up, one round", () => {
      assert.deepEqual(parseArgs([]), { rate: 300, durationS: 30, warmupS: 10, repeat: 1 });
      assert.deepEqual(parseArgs([]), DEFAULT_OPTIONS);
    });

    it("reads flags as `--flag N` and `--flag=N`", () => {
      assert.deepEqual(parseArgs(["--rate", "150.5", "--duration=12", "--warmup", "0", "--repeat=2"]), {
        rate: 150.5,
        durationS: 12,
        warmupS: 0,
        repeat: 2,
      });
    });

    it("names the flag, what it expects and what it got", () => {
      assert.throws(() => parseArgs(["--rate", "x"]), {
        message: "--rate: expected a positive number, got x",
      });
      assert.throws(() => parseArgs(["--rate=0"]), { message: "--rate: expected a positive number, got 0" });
      assert.throws(() => parseArgs(["--rate="]), { message: "--rate: expected a positive number, got " });
      assert.throws(() => parseArgs(["--duration"]), /^Error: --duration: expected .* got nothing$/);
      assert.throws(
        () => parseArgs(["--warmup", "-1"]),
        /--warmup: expected a number of seconds >= 0, got -1/,
      );
      assert.throws(() => parseArgs(["--repeat", "1.5"]), /--repeat: expected a whole number >= 1, got 1.5/);
      assert.throws(() => parseArgs(["--rps", "3"]), /unknown argument --rps/);
    });
  });

  describe("stepSequence", () => {
    it("runs 0.5, 1, all cores and then 0.5 again as the check", () => {
      const s = stepSequence(1, 2);
      assert.deepEqual(
        s.map((x) => [x.cpus, x.unlimited, x.check]),
        [
          [0.5, false, false],
          [1, false, false],
          [2, true, false],
          [0.5, false, true],
        ],
      );
      assert.equal(s[2].label, "2 (all cores)");
      assert.equal(s[3].label, "0.5 (check)");
    });

    it("repeats the three limits before the check", () => {
      assert.deepEqual(
        stepSequence(2, 8).map((x) => x.cpus),
        [0.5, 1, 8, 0.5, 1, 8, 0.5],
      );
    });

    it("has no separate unlimited step on one core, and caps at the config maximum of 64", () => {
      const one = stepSequence(1, 1);
      assert.deepEqual(
        one.map((x) => [x.cpus, x.unlimited]),
        [
          [0.5, false],
          [1, true],
          [0.5, false],
        ],
      );
      const big = stepSequence(1, 96)[2];
      assert.equal(big.cpus, 64);
      assert.equal(big.unlimited, false, "64 of 96 cores can bind");
    });
  });

  describe("renderTable", () => {
    const row = (over: Partial<Row>): Row => ({
      step: { cpus: 0.5, label: "0.5", unlimited: false, check: false },
      achievedRps: 299.6,
      p50Ms: 3.14,
      p95Ms: 9.5,
      p99Ms: 42.25,
      maxMs: 180.4,
      successRate: 0.9999,
      cpuPct: { "gateway-0": 41.6, "router-0": 38.2 },
      throttling: {
        "gateway-0": { throttledShare: 0.1, throttledMsPerS: 12.34 },
        "router-0": null,
      },
      ...over,
    });

    it("prints one aligned line per step with per-container columns", () => {
      const text = renderTable(
        [
          row({}),
          row({
            step: { cpus: 2, label: "2 (all cores)", unlimited: true, check: false },
            p99Ms: 7,
            cpuPct: { "gateway-0": null, "router-0": 55 },
          }),
        ],
        ["gateway-0", "router-0"],
      );
      const lines = text.split("\n");
      assert.equal(lines.length, 4);
      const head = lines[0].split(/\s{2,}/);
      assert.deepEqual(head, [
        "limit (cpus)",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "success %",
        "gateway-0 CPU %",
        "gateway-0 throttled %",
        "gateway-0 throttled ms/s",
        "router-0 CPU %",
        "router-0 throttled %",
        "router-0 throttled ms/s",
      ]);
      assert.deepEqual(lines[2].split(/\s+/), [
        "0.5",
        "300",
        "3.1",
        "9.5",
        "42.3",
        "180",
        "99.99",
        "42",
        "10.0",
        "12.3",
        "38",
        "-",
        "-",
      ]);
      assert.match(
        lines[3],
        /^2 \(all cores\)\s+300\s+3\.1\s+9\.5\s+7\.0\s+180\s+99\.99\s+-\s+10\.0\s+12\.3\s+55\s+-\s+-$/,
      );
      // Numbers are right-aligned: every line ends at the same column.
      assert.equal(new Set(lines.map((l) => l.length)).size, 1);
    });
  });
});
