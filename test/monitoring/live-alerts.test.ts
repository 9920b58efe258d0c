// Live alert test: real nats-server, router, gateway, blackbox exporter, Prometheus and Alertmanager
// on loopback. Real faults are caused (down to a real CPU quota on the router's cgroup); each targeted
// alert must go pending (when its rule has a `for:`), then firing in Prometheus, reach the webhook
// through Alertmanager, and resolve after the fault ends.
// Time-to-detect per alert is written to reports/monitoring/alert-detection.json.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { renderRuleFiles } from "../../monitoring";
import { waitFor } from "../../tooling/local/wait";
import { CpuQuotaCgroup, LIVE_RULE_OPTIONS, LiveEnv } from "./support/live-env";

const REPORT = path.join(__dirname, "../../reports/monitoring/alert-detection.json");

interface Expectation {
  alert: string;
  labels: Record<string, string>;
  /** False for alerts that by design stay firing longer than the test (ProcessRestarted: 15 min window). */
  resolves?: boolean;
}

interface Detection {
  phase: string;
  alert: string;
  labels: Record<string, string>;
  for: string | null;
  faultAt: string;
  pendingAfterMs: number | null;
  firingAfterMs: number;
  /** Time-to-detect: fault start → the firing notification reached the webhook. */
  notifiedAfterMs: number;
  receiver: string;
  /** Fault end → the resolved notification reached the webhook (null when it is not expected to resolve). */
  resolvedAfterMs: number | null;
}

/** `for:` of each alert in the live rule profile (alerts without one go straight to firing). */
const FOR = new Map<string, string | null>();
for (const f of renderRuleFiles(LIVE_RULE_OPTIONS))
  for (const g of (YAML.parse(f.content) as { groups: { rules: { alert?: string; for?: string }[] }[] })
    .groups)
    for (const r of g.rules) if (r.alert) FOR.set(r.alert, r.for ?? null);

const matches = (labels: Record<string, string>, want: Record<string, string>) =>
  Object.entries(want).every(([k, v]) => labels[k] === v);

describe("live alerts (prometheus + alertmanager + real services)", function () {
  this.timeout(180000);
  const env = new LiveEnv();
  const detections: Detection[] = [];
  let cpuQuota: CpuQuotaCgroup | undefined;

  before(async function () {
    this.timeout(90000);
    await env.start();
  });

  after(async function () {
    this.timeout(30000);
    fs.mkdirSync(path.dirname(REPORT), { recursive: true });
    fs.writeFileSync(
      REPORT,
      `${JSON.stringify({ generatedAt: new Date().toISOString(), profile: LIVE_RULE_OPTIONS, detections }, null, 2)}\n`,
    );
    try {
      await cpuQuota?.remove();
    } finally {
      await env.stop();
    }
  });

  /**
   * Runs one fault: waits until none of the expected alerts is active, injects the fault, tracks every
   * expected alert through pending → firing → webhook, ends the fault and waits for the resolved
   * notifications.
   */
  async function phase(
    name: string,
    expected: Expectation[],
    inject: () => Promise<void>,
    end: () => Promise<void>,
    afterEnd: Expectation[] = [],
    whileFiring?: (faultAt: number) => Promise<void>,
  ): Promise<void> {
    await waitFor(
      `${name}: expected alerts inactive before the fault`,
      async () => {
        const active = await env.alerts();
        return !expected.some((e) =>
          active.some((a) => a.labels.alertname === e.alert && matches(a.labels, e.labels)),
        );
      },
      { timeoutMs: 90000, intervalMs: 250 },
    );
    const faultAt = Date.now();
    await inject();
    const seen = new Map<Expectation, { pending?: number; firing?: number }>();
    const track = async () => {
      const active = await env.alerts();
      for (const e of [...expected, ...afterEnd]) {
        const a = active.find((x) => x.labels.alertname === e.alert && matches(x.labels, e.labels));
        const s = seen.get(e) ?? {};
        if (a?.state === "pending") s.pending ??= Date.now();
        if (a?.state === "firing") s.firing ??= Date.now();
        seen.set(e, s);
      }
    };
    const notified = async (list: Expectation[], since: number) => {
      await waitFor(
        `${name}: ${list.map((e) => e.alert).join(", ")} firing and notified`,
        async () => {
          await track();
          return list.every(
            (e) =>
              seen.get(e)?.firing && env.webhook.find({ alertname: e.alert, ...e.labels }, "firing", since),
          );
        },
        { timeoutMs: 60000, intervalMs: 100 },
      );
    };
    await notified(expected, faultAt);
    await whileFiring?.(faultAt);
    const endAt = Date.now();
    await end();
    if (afterEnd.length) await notified(afterEnd, endAt);
    const resolving = [...expected, ...afterEnd].filter((e) => e.resolves !== false);
    await waitFor(
      `${name}: ${resolving.map((e) => e.alert).join(", ")} resolved at the webhook`,
      async () =>
        resolving.every((e) => env.webhook.find({ alertname: e.alert, ...e.labels }, "resolved", endAt)),
      { timeoutMs: 90000, intervalMs: 200 },
    );

    for (const e of [...expected, ...afterEnd]) {
      const start = afterEnd.includes(e) ? endAt : faultAt;
      const s = seen.get(e)!;
      const fired = env.webhook.find({ alertname: e.alert, ...e.labels }, "firing", start)!;
      const resolved =
        e.resolves === false
          ? undefined
          : env.webhook.find({ alertname: e.alert, ...e.labels }, "resolved", endAt);
      const hasFor = FOR.get(e.alert) ?? null;
      // An alert with `for:` must have been seen pending before firing; one without fires on its first evaluation.
      if (hasFor)
        assert.ok(s.pending && s.pending <= s.firing!, `${e.alert} was never seen pending (for: ${hasFor})`);
      detections.push({
        phase: name,
        alert: e.alert,
        labels: e.labels,
        for: hasFor,
        faultAt: new Date(start).toISOString(),
        pendingAfterMs: s.pending ? s.pending - start : null,
        firingAfterMs: s.firing! - start,
        notifiedAfterMs: fired.at - start,
        receiver: fired.receiver,
        resolvedAfterMs: resolved ? resolved.at - endAt : null,
      });
    }
  }

  it("delivers the Watchdog heartbeat to the watchdog receiver", async () => {
    const ev = await waitFor(
      "Watchdog at the webhook",
      async () => env.webhook.find({ alertname: "Watchdog" }, "firing", 0),
      {
        timeoutMs: 30000,
      },
    );
    assert.equal(ev.receiver, "watchdog");
  });

  it("a flood of invalid requests (400) does not burn the availability SLO", async () => {
    env.traffic.invalid = true;
    try {
      await waitFor(
        "Prometheus evaluated rules over the 400 flood",
        async () => {
          const r = await env.query(
            'sum(increase(gateway_http_requests_total{job="gateway",status="400"}[10s])) > 50 and on() slo:sli_requests:rate5m{slo="gateway-availability"} > 0',
          );
          return r.length === 1;
        },
        { timeoutMs: 30000, intervalMs: 250 },
      );
      const ratio = await env.query('slo:sli_error:ratio_rate5m{slo="gateway-availability"}');
      assert.equal(ratio.length, 1);
      assert.equal(Number(ratio[0].value[1]), 0, "400s must not count as availability errors");
      const pages = (await env.alerts()).filter(
        (a) => a.labels.alertname === "SLOErrorBudgetBurnPage" && a.labels.slo === "gateway-availability",
      );
      assert.deepEqual(pages, []);
    } finally {
      env.traffic.invalid = false;
    }
  });

  it("router errors (fault injection) page for both availability SLOs, inhibit the tickets, and clear", async () => {
    await phase(
      "router-errors",
      [
        { alert: "SLOErrorBudgetBurnPage", labels: { slo: "gateway-availability" } },
        { alert: "SLOErrorBudgetBurnPage", labels: { slo: "router-availability" } },
      ],
      () => env.fault({ error_code: "internal", error_rate: 1 }),
      () => env.fault({ clear: true }),
      [],
      // Critical inhibits warning: the ticket-level burn of the same SLO fires in Prometheus but is
      // suppressed by Alertmanager while the page fires, and never reaches the webhook meanwhile.
      async (faultAt) => {
        const ticket = { alertname: "SLOErrorBudgetBurnTicket", slo: "gateway-availability" };
        const suppressed = await waitFor(
          "ticket alert inhibited by the page in Alertmanager",
          async () => {
            const res = await fetch(
              `http://127.0.0.1:${env.alertmanagerPort}/api/v2/alerts?filter=${encodeURIComponent('alertname="SLOErrorBudgetBurnTicket"')}`,
            );
            const list = (await res.json()) as {
              labels: Record<string, string>;
              status: { state: string; inhibitedBy: string[] };
            }[];
            return list.find((a) => a.labels.slo === ticket.slo && a.status.state === "suppressed");
          },
          { timeoutMs: 30000, intervalMs: 200 },
        );
        assert.ok(suppressed.status.inhibitedBy.length > 0);
        assert.equal(
          env.webhook.find(ticket, "firing", faultAt),
          undefined,
          "inhibited ticket reached the webhook",
        );
      },
    );
    assert.ok((env.traffic.statuses.get(500) ?? 0) > 0, "the fault produced no 500s");
  });

  it("a failing provider opens its circuit breaker (CircuitBreakerOpen), and it closes again", async () => {
    await phase(
      "provider-failing",
      [{ alert: "CircuitBreakerOpen", labels: { job: "router", provider: "p1" } }],
      () => env.fault({ fail_providers: ["p1"] }),
      () => env.fault({ clear: true }),
    );
  });

  it("forced router backpressure raises RouterBackpressureActive, and it clears", async () => {
    await phase(
      "router-backpressure",
      [{ alert: "RouterBackpressureActive", labels: { job: "router" } }],
      () => env.fault({ backpressure: "active" }),
      () => env.fault({ clear: true }),
    );
  });

  it("killing the router raises TargetDown; restarting it resolves that and raises ProcessRestarted", async () => {
    await phase(
      "router-killed",
      [{ alert: "TargetDown", labels: { job: "router" } }],
      async () => {
        await env.router!.stop("SIGKILL");
      },
      () => env.startRouter(),
      // changes(process_start_time_seconds[15m]) stays > 0 for 15 minutes by design.
      [{ alert: "ProcessRestarted", labels: { job: "router" }, resolves: false }],
    );
  });

  it("stopping nats-server raises NatsUnreachable and both NATS-connection alerts; restarting resolves them", async () => {
    await phase(
      "nats-stopped",
      [
        { alert: "NatsUnreachable", labels: { job: "blackbox-nats" } },
        { alert: "GatewayNatsDisconnected", labels: { job: "gateway" } },
        { alert: "RouterNatsDisconnected", labels: { job: "router" } },
      ],
      () => env.nats.kill(),
      async () => {
        await env.nats.start();
      },
    );
  });

  // Last: the throttled router answers slowly, which burns the latency SLO for a while.
  it("a real CPU quota on the router (5 ms per 100 ms) raises CpuThrottled; lifting it resolves the alert", async () => {
    const QUOTA_US = 5000;
    const PERIOD_US = 100000;
    let stopLoad: (() => Promise<void>) | undefined;
    try {
      await phase(
        "router-cpu-quota",
        [{ alert: "CpuThrottled", labels: { job: "router" } }],
        async () => {
          cpuQuota = CpuQuotaCgroup.create(env.router!.pid!, QUOTA_US, PERIOD_US);
          stopLoad = env.decideLoad(4);
        },
        // The router stays in the cgroup until after(): moving it would swap its counters for another
        // cgroup's. Without a quota no periods elapse, so the share is dropped (not 0/0) and resolves.
        async () => cpuQuota!.setQuota(null),
        [],
        async () => {
          // The router's metrics follow it into the new cgroup (/proc/self/cgroup is re-read per scrape).
          const limit = await env.query('process_cgroup_cpu_limit_cores{job="router"}');
          assert.equal(limit.length, 1);
          assert.equal(Number(limit[0].value[1]), QUOTA_US / PERIOD_US);
          const gateway = (await env.alerts()).filter(
            (a) => a.labels.alertname === "CpuThrottled" && a.labels.job === "gateway",
          );
          assert.deepEqual(gateway, [], "the gateway has no quota and must not alert");
        },
      );
    } finally {
      await stopLoad?.();
    }
  });

  it("recorded a time-to-detect for every targeted alert", () => {
    const alerts = new Set(detections.map((d) => d.alert));
    for (const a of [
      "SLOErrorBudgetBurnPage",
      "CircuitBreakerOpen",
      "RouterBackpressureActive",
      "TargetDown",
      "ProcessRestarted",
      "NatsUnreachable",
      "GatewayNatsDisconnected",
      "RouterNatsDisconnected",
      "CpuThrottled",
    ])
      assert.ok(alerts.has(a), `no detection recorded for ${a}`);
    for (const d of detections)
      assert.ok(d.notifiedAfterMs > 0 && d.notifiedAfterMs < 60000, JSON.stringify(d));
  });
});
