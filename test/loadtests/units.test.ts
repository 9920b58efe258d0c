// Pure parts of the validation tooling: statistics, gates, seeded payloads, parsers and renderers.
import assert from "node:assert/strict";
import { parseArgs, parseDuration } from "../../loadtests/cli";
import { UsageError } from "../../tooling/args";
import { evaluateGate, evaluateGates } from "../../loadtests/gates";
import { plannedBody, decideBodyOfSize, expectedInvalid, seededRandom } from "../../loadtests/payloads";
import { plannedCount, plannedOffsetMs, errorOutcome } from "../../tooling/open-model";
import { parsePromText, metricSum } from "../../tooling/prom-text";
import { validateOutputs, OutputsError } from "../../tooling/outputs";
import { analyzeResources, growthAfterWarmup } from "../../tooling/resources";
import { linearFit, percentileSorted, percentiles, slopePerHour } from "../../tooling/stats";
import { parseWrkDuration, parseWrkOutput } from "../../loadtests/wrk";
import { lineChart, niceTicks, escapeXml } from "../../tooling/report/charts";
import { cutToWindow } from "../../loadtests/report/logs";
import { demuxDockerLogs } from "../../tooling/drivers/docker";
import { collectFailures, renderIndex, renderMarkdown, runId } from "../../loadtests/report/write";
import { ALL_CHECKS } from "../../loadtests/e2e/index";

describe("loadtests: pure parts", () => {
  describe("percentiles", () => {
    it("nearest-rank on 1..100", () => {
      const xs = Array.from({ length: 100 }, (_, i) => i + 1);
      assert.deepEqual(percentiles(xs.reverse(), [50, 90, 99, 100]), [50, 90, 99, 100]);
      assert.equal(percentileSorted([7], 99), 7);
      assert.ok(Number.isNaN(percentileSorted([], 50)));
    });
  });

  describe("slope fit", () => {
    it("recovers an exact line and r² = 1", () => {
      const f = linearFit([0, 1, 2, 3].map((x) => [x, 2 * x + 5] as const));
      assert.equal(f.slope, 2);
      assert.equal(f.intercept, 5);
      assert.equal(f.r2, 1);
    });
    it("memory growth per hour ignores the warm-up share", () => {
      // 10 minutes of samples: a jump in the first minute, then +1 MiB per minute → 60 MiB/h.
      const pts = Array.from({ length: 11 }, (_, m) => [m * 60000, m === 0 ? 0 : 100 + m] as const);
      const s = slopePerHour(pts, 0.2);
      assert.ok(Math.abs(s.perHour - 60) < 1e-6, `slope ${s.perHour}`);
      assert.equal(slopePerHour([]).perHour, 0);
    });
    it("flat memory has zero slope; growth after warm-up", () => {
      assert.equal(
        slopePerHour([
          [0, 5],
          [1000, 5],
          [2000, 5],
        ]).perHour,
        0,
      );
      assert.equal(
        growthAfterWarmup([
          [0, 1],
          [10, 50],
          [20, 51],
          [100, 60],
        ]),
        9,
      );
    });
    it("per-instance analysis: CPU % from cumulative seconds, restarts skipped", () => {
      const t = analyzeResources([
        { t: 0, role: "gateway", instance: "g", rssBytes: 1048576, cpuSeconds: 0 },
        { t: 1000, role: "gateway", instance: "g", rssBytes: 2 * 1048576, cpuSeconds: 0.5 },
        { t: 2000, role: "gateway", instance: "g", rssBytes: 2 * 1048576, cpuSeconds: 0.1 },
      ]);
      assert.equal(t.length, 1);
      assert.deepEqual(t[0].cpuSeries, [[1, 50]]);
      assert.equal(t[0].rssMaxMiB, 2);
    });
  });

  describe("gates", () => {
    it("say which gate failed and by how much", () => {
      const r = evaluateGate({ metric: "p99_ms", op: "<=", threshold: 250, unit: "ms" }, { p99_ms: 412 });
      assert.equal(r.passed, false);
      assert.match(r.detail, /p99_ms 412 ms violates <= 250 ms by 162 ms \(\+64\.8%\)/);
      const [a, b, c] = evaluateGates(
        [
          { metric: "success_rate", op: ">=", threshold: 0.999 },
          { metric: "http_5xx", op: "==", threshold: 0 },
          { metric: "missing", op: "<=", threshold: 1 },
        ],
        { success_rate: 0.9995, http_5xx: 0 },
      );
      assert.equal(a.passed, true);
      assert.equal(b.passed, true);
      assert.equal(c.passed, false);
      assert.match(c.detail, /not measured/);
    });
  });

  describe("seeded payloads", () => {
    it("task payloads have exactly the requested size", () => {
      for (const size of [64, 200, 1024]) {
        const b = JSON.parse(decideBodyOfSize("tenant-a", "req-1", size));
        assert.equal(Buffer.byteLength(JSON.stringify(b.task.payload)), size);
      }
    });
    it("same seed → same plan; sizes within 64..1024; invalid share close to the setting", () => {
      const a = Array.from({ length: 500 }, (_, i) => plannedBody(7, i, "t", `r${i}`, { invalidShare: 0.1 }));
      const b = Array.from({ length: 500 }, (_, i) => plannedBody(7, i, "t", `r${i}`, { invalidShare: 0.1 }));
      assert.deepEqual(a, b);
      for (const p of a.filter((x) => x.valid)) {
        const n = Buffer.byteLength(JSON.stringify(JSON.parse(p.body).task.payload));
        assert.ok(n >= 64 && n <= 1024, `size ${n}`);
      }
      const k = expectedInvalid(7, 500, 0.1);
      assert.equal(k, a.filter((x) => !x.valid).length);
      assert.ok(k > 30 && k < 70, `invalid ${k}`);
      assert.notDeepEqual(seededRandom(1)(), seededRandom(2)());
    });
    it("every invalid kind is really invalid", () => {
      const kinds = new Set<string>();
      for (let i = 0; i < 400; i++) {
        const p = plannedBody(3, i, "t", "r", { invalidShare: 1 });
        kinds.add(p.kind);
        if (p.kind === "bad-json") assert.throws(() => JSON.parse(p.body));
        if (p.kind === "missing-tenant") assert.equal(p.omitTenant, true);
      }
      assert.equal(kinds.size, 4);
    });
  });

  describe("open-model schedule", () => {
    it("plans even sends and bursts", () => {
      assert.equal(plannedOffsetMs({ kind: "rate", rate: 200 }, 3), 15);
      assert.equal(plannedOffsetMs({ kind: "burst", size: 50, intervalMs: 250 }, 49), 0);
      assert.equal(plannedOffsetMs({ kind: "burst", size: 50, intervalMs: 250 }, 50), 250);
      assert.equal(plannedCount({ kind: "rate", rate: 200 }, 10000), 2000);
      assert.equal(plannedCount({ kind: "burst", size: 50, intervalMs: 250 }, 1000), 200);
      assert.equal(errorOutcome("ECONNREFUSED"), "fail");
      assert.equal(errorOutcome("timeout"), "unknown");
      assert.equal(errorOutcome("ECONNRESET"), "unknown");
    });
  });

  describe("parsers", () => {
    it("Prometheus text", () => {
      const s = parsePromText(
        '# HELP x\nfoo_total{outcome="ok"} 3\nfoo_total{outcome="timeout"} 2\nbar 1.5e3\n',
      );
      assert.equal(metricSum(s, "foo_total"), 5);
      assert.equal(metricSum(s, "foo_total", { outcome: "timeout" }), 2);
      assert.equal(metricSum(s, "bar"), 1500);
      assert.equal(metricSum(s, "nope"), undefined);
    });
    it("wrk output", () => {
      const out = `Running 5s test @ http://127.0.0.1:1
  Latency Distribution
     50%  850.00us
     75%    1.20ms
     90%    2.50ms
     99%    1.02s
  1000 requests in 5.00s, 1.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:    200.50
`;
      const r = parseWrkOutput(out);
      assert.equal(r.requestsPerSec, 200.5);
      assert.equal(r.latencyMs.p50, 0.85);
      assert.equal(r.latencyMs.p99, 1020);
      assert.equal(r.non2xx, 7);
      assert.equal(r.socketErrors, 3);
      assert.ok(Number.isNaN(parseWrkDuration("abc")));
    });
    it("CLI arguments and durations", () => {
      assert.equal(parseDuration("5m"), 300);
      assert.equal(parseDuration("2h"), 7200);
      assert.equal(parseDuration("90"), 90);
      assert.throws(() => parseDuration("soon"), UsageError);
      const a = parseArgs(
        ["soak", "--outputs", "o.json", "--duration", "2m", "--gate", "soak.p99_ms=100", "--burst", "20x100"],
        {},
      );
      assert.equal(a.settings.soakDurationS, 120);
      assert.equal(a.settings.gateOverrides!["soak.p99_ms"], 100);
      assert.equal(a.settings.burstSize, 20);
      assert.throws(() => parseArgs(["load"], {}), /--stack <name>, --outputs/);
      assert.throws(
        () => parseArgs(["load", "--stack", "dev", "--profile", "nope"], {}),
        /unknown profile "nope"/,
      );
      assert.throws(() => parseArgs(["bogus"], {}), /first argument must be e2e, load, soak or all/);
      assert.deepEqual(
        parseArgs(["e2e", "--stack", "x"], { BEAMLINE_TENANT_TOKENS: "a:1,b:2" }).tenantTokens,
        { a: "1", b: "2" },
      );
    });
    it("stack outputs: every missing or malformed key is named", () => {
      assert.throws(
        () => validateOutputs({ gatewayUrl: "ftp://x", natsHostUrls: [] }, "f.json"),
        (e: Error) =>
          e instanceof OutputsError &&
          /missing key "natsUser"/.test(e.message) &&
          /"natsHostUrls" must be a non-empty array/.test(e.message) &&
          /"gatewayUrl" must be an http\(s\) origin/.test(e.message),
      );
    });
    it("stack outputs: tenantTokens (secret) must map tenants to tokens, never echoed when wrong", () => {
      const base = {
        gatewayUrl: "http://127.0.0.1:1",
        natsHostUrls: ["nats://127.0.0.1:2"],
        natsUser: "u",
        natsPassword: "p",
        natsMonitorUrls: ["http://127.0.0.1:3"],
        routerMetricsUrls: ["http://127.0.0.1:4/metrics"],
        chaosTargets: {},
      };
      assert.deepEqual(validateOutputs({ ...base, tenantTokens: { a: "k1" } }, "o").tenantTokens, {
        a: "k1",
      });
      assert.equal(validateOutputs(base, "o").tenantTokens, undefined);
      assert.throws(
        () => validateOutputs({ ...base, tenantTokens: { a: 7, b: "hidden-token" } }, "o"),
        (e: Error) =>
          /"tenantTokens" must be an object of tenant → token strings/.test(e.message) &&
          !e.message.includes("hidden-token"),
      );
    });
    it("log bundling: docker frames demuxed, lines cut to the window", () => {
      const frame = (s: string) => {
        const b = Buffer.from(s);
        const h = Buffer.alloc(8);
        h[0] = 1;
        h.writeUInt32BE(b.length, 4);
        return Buffer.concat([h, b]);
      };
      assert.equal(demuxDockerLogs(Buffer.concat([frame("a\n"), frame("b\n")])), "a\nb\n");
      const t = Date.parse("2026-01-01T00:00:10Z");
      const text = [
        '{"ts":"2026-01-01T00:00:00Z","msg":"old"}',
        '{"ts":"2026-01-01T00:00:10Z","msg":"in"}',
        "no timestamp",
      ].join("\n");
      assert.equal(cutToWindow(text, t, t + 1000), '{"ts":"2026-01-01T00:00:10Z","msg":"in"}\nno timestamp');
    });
  });

  describe("reports", () => {
    it("charts are deterministic, escape text and leave gaps for missing points", () => {
      const o = {
        title: "a<b",
        series: [
          {
            name: "p99",
            points: [
              [0, 1],
              [1, NaN],
              [2, 3],
            ] as [number, number][],
          },
        ],
      };
      const svg = lineChart(o);
      assert.equal(svg, lineChart(o));
      assert.match(svg, /a&lt;b/);
      assert.equal((svg.match(/<circle/g) ?? []).length, 2);
      assert.match(lineChart({ title: "x", series: [] }), /no data/);
      assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
      assert.equal(escapeXml(`"&'`), "&quot;&amp;&#39;");
    });
    it("markdown and index list failures and runs", () => {
      const report = {
        id: runId(new Date("2026-01-01T00:00:00Z")),
        command: "validate e2e",
        startedAt: "2026-01-01T00:00:00Z",
        finishedAt: "2026-01-01T00:01:00Z",
        stack: { name: "ci", target: "docker", gatewayUrl: "http://x" },
        e2e: [
          { id: "a.b", group: "errors" as const, title: "t", passed: false, durationMs: 3, error: "boom" },
        ],
        profiles: [],
        passed: false,
        failures: collectFailures(
          [{ id: "a.b", group: "errors", title: "t", passed: false, durationMs: 3, error: "boom" }],
          [],
        ),
        logs: [],
        notes: [],
      };
      assert.equal(report.id, "2026-01-01T00-00-00Z");
      assert.deepEqual(report.failures, ["e2e a.b: boom"]);
      const md = renderMarkdown(report);
      assert.match(md, /FAILED/);
      assert.match(md, /0\/1 passed/);
      assert.match(
        renderIndex([{ id: report.id, command: "c", passed: true, startedAt: "x", profiles: {} }]),
        /Validation runs \(1\)/,
      );
    });
  });

  describe("E2E catalogue", () => {
    it("has at least 33 uniquely named checks over all five groups", () => {
      assert.ok(ALL_CHECKS.length >= 33, `${ALL_CHECKS.length} checks`);
      assert.equal(new Set(ALL_CHECKS.map((c) => c.id)).size, ALL_CHECKS.length);
      assert.deepEqual(
        new Set(ALL_CHECKS.map((c) => c.group)),
        new Set(["subjects", "errors", "timeouts", "reconnect", "backpressure"]),
      );
    });
  });
});
