// Every dashboard panel's PromQL against a real Prometheus scraping the real services while traffic
// flows: each query must be accepted, and return series (panels flagged mayBeEmpty — cAdvisor
// container metrics, absent on a loopback stack — only need to be accepted).
import assert from "node:assert/strict";
import { allPanelQueries } from "../../monitoring/dashboards";
import { waitFor } from "../../tooling/local/wait";
import { LiveEnv } from "./support/live-env";

/** Grafana's $__rate_interval for a 1 s scrape: at least four scrapes. */
const RATE_INTERVAL = "10s";

describe("grafana dashboards (live PromQL against prometheus)", function () {
  this.timeout(120000);
  const env = new LiveEnv();
  before(async function () {
    this.timeout(90000);
    await env.start();
    // Recording rules have run and rates have enough samples.
    await waitFor(
      "SLO recording rules evaluated",
      async () => (await env.query("slo:sli_requests:rate5m > 0")).length >= 2,
      {
        timeoutMs: 30000,
        intervalMs: 250,
      },
    );
  });
  after(async function () {
    this.timeout(30000);
    await env.stop();
  });

  for (const q of allPanelQueries()) {
    it(`${q.dashboard} / ${q.panel}: ${q.mayBeEmpty ? "accepted" : "accepted and returns series"} — ${q.expr.slice(0, 70)}`, async () => {
      const expr = q.expr.replaceAll("$__rate_interval", RATE_INTERVAL);
      if (q.mayBeEmpty) {
        const r = await env.query(expr); // throws on a parse or evaluation error
        assert.ok(Array.isArray(r));
        return;
      }
      const r = await waitFor(
        `series for ${expr}`,
        async () => {
          const res = await env.query(expr);
          return res.length > 0 && res;
        },
        { timeoutMs: 20000, intervalMs: 250 },
      );
      assert.ok(
        r.every((s) => s.value[1] !== "NaN" || expr.includes("histogram_quantile")),
        `NaN from ${expr}`,
      );
    });
  }

  it("rejects a malformed query (the acceptance check can fail)", async () => {
    await assert.rejects(env.query("sum by (route (rate(x[1m]))"), /failed/);
  });
});
