// Scenario group 3: slow replies under the gateway's router timeout, just under it, over it (504), late
// replies after the timeout that must be dropped, and 1000 timeouts without growth in memory, handles
// or pending requests (read from the gateway's /metrics and /_metrics).
import type { Check } from "./check";
import { E2EContext, expect, HttpAnswer, waitFor } from "./context";
import { Agent, request } from "undici";
import { metricSum } from "../../tooling/prom-text";
import { HTTP_ROUTES } from "../../services/common/service-contract";

async function withFault<T>(
  ctx: E2EContext,
  spec: Parameters<E2EContext["fault"]>[0],
  fn: () => Promise<T>,
): Promise<T> {
  await ctx.fault(spec);
  try {
    return await fn();
  } finally {
    await ctx.clearFaults();
  }
}

/** Runs `n` calls with at most `concurrency` at once. */
async function pooled<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

async function leakProbe(ctx: E2EContext) {
  const m = await ctx.gatewayMetrics();
  const s = await ctx.gatewaySummary().catch(() => undefined);
  return {
    rss: metricSum(m, "process_resident_memory_bytes"),
    heap: metricSum(m, "nodejs_heap_size_used_bytes"),
    handles: metricSum(m, "nodejs_active_handles_total"),
    inflight: metricSum(m, "gateway_inflight_requests"),
    summaryInflight: typeof s?.inflight === "number" ? (s.inflight as number) : undefined,
  };
}

export const timeoutChecks: Check[] = [
  {
    id: "timeouts.slow",
    group: "timeouts",
    title: "a slow reply well under the timeout is answered 200 after the delay",
    async run(ctx) {
      const t = ctx.tenant(0);
      const delay = Math.min(1000, Math.floor(ctx.gatewayTimeoutMs / 4));
      const r = await withFault(ctx, { tenant_id: t, delay_ms: delay }, () => ctx.decide(t));
      expect(r.status === 200, "200", r.text);
      expect(r.ms >= delay - 5, `answer took at least the ${delay} ms delay`, Math.round(r.ms));
    },
  },
  {
    id: "timeouts.just-under",
    group: "timeouts",
    title: "a reply just under the timeout is still answered 200",
    async run(ctx) {
      const t = ctx.tenant(0);
      const delay = ctx.gatewayTimeoutMs - Math.max(300, Math.floor(ctx.gatewayTimeoutMs * 0.1));
      const r = await withFault(ctx, { tenant_id: t, delay_ms: delay }, () => ctx.decide(t));
      expect(
        r.status === 200,
        `200 for a ${delay} ms reply with a ${ctx.gatewayTimeoutMs} ms timeout`,
        r.text,
      );
    },
  },
  {
    id: "timeouts.over",
    group: "timeouts",
    title: "a reply over the timeout → 504 timeout, answered at the timeout (not at the reply)",
    async run(ctx) {
      const t = ctx.tenant(0);
      const delay = ctx.gatewayTimeoutMs + 1500;
      const r = await withFault(ctx, { tenant_id: t, delay_ms: delay }, () => ctx.decide(t));
      expect(r.status === 504 && r.json?.error?.code === "timeout", "504 timeout", `${r.status} ${r.text}`);
      expect(
        r.ms >= ctx.gatewayTimeoutMs - 50 && r.ms < delay,
        `answered between the timeout and the late reply`,
        Math.round(r.ms),
      );
    },
  },
  {
    id: "timeouts.late-reply-dropped",
    group: "timeouts",
    title: "a reply arriving after the timeout is dropped: later requests get their own answers",
    timeoutMs: 60000,
    async run(ctx) {
      const slow = ctx.tenant(1);
      const fast = ctx.tenant(2);
      const late = ctx.gatewayTimeoutMs + 500;
      const before =
        metricSum(await ctx.gatewayMetrics(), "gateway_nats_requests_total", { outcome: "timeout" }) ?? 0;
      await ctx.fault({ tenant_id: slow, delay_ms: late });
      try {
        const timedOut = ctx.decide(slow);
        // Keep other requests flowing across the moment the late reply lands.
        const others: HttpAnswer[] = [];
        const rids: string[] = [];
        const stopAt = Date.now() + late + 1000;
        // Rotate over the other tenants so a per-tenant rate limit does not interfere.
        const pool = ctx.tenants.filter((x) => x !== slow);
        for (let k = 0; Date.now() < stopAt; k++) {
          const rid = ctx.uid("after");
          rids.push(rid);
          others.push(await ctx.decide(pool[k % pool.length] ?? fast, { request_id: rid }));
        }
        const r = await timedOut;
        expect(r.status === 504, "the slow request timed out", `${r.status} ${r.text}`);
        others.forEach((o, i) => {
          expect(o.status === 200, "other requests answered 200", o.text);
          expect(
            o.json?.context?.request_id === rids[i],
            "each answer is for its own request (late reply not delivered to it)",
            { want: rids[i], got: o.json?.context },
          );
        });
      } finally {
        await ctx.clearFaults();
      }
      const after = metricSum(await ctx.gatewayMetrics(), "gateway_nats_requests_total", {
        outcome: "timeout",
      });
      expect(
        after !== undefined && after >= before + 1,
        "gateway_nats_requests_total{outcome=timeout} counted it",
        { before, after },
      );
      const health = await ctx.http({ path: HTTP_ROUTES.health });
      expect(health.status === 200, "gateway healthy after the late reply", health.text);
    },
  },
  {
    id: "timeouts.1000-no-leak",
    group: "timeouts",
    title: "1000 timeouts leave no growth in memory, handles or pending requests",
    timeoutMs: 180000,
    async run(ctx) {
      // Several tenants so a per-tenant rate limit does not turn timeouts into 429s.
      const tenants = ctx.tenants.slice(0, Math.min(10, ctx.tenants.length));
      const concurrency = Math.max(1, Math.min(500, ctx.maxInflight - 24));
      // A dedicated client pool, closed before the final reading: its idle keep-alive sockets are
      // handles on the gateway too, and they are the client's, not a leak.
      const blaster = new Agent({ connections: concurrency, keepAliveTimeout: 1000 });
      const fire = (n: number) =>
        pooled(n, concurrency, async (i) => {
          const t = tenants[i % tenants.length];
          const r = await request(`${ctx.outputs.gatewayUrl}/api/v1/routes/decide`, {
            method: "POST",
            dispatcher: blaster,
            headers: { "content-type": "application/json", "x-tenant-id": t, ...ctx.authHeaders(t) },
            body: JSON.stringify(ctx.body(t)),
            headersTimeout: ctx.gatewayTimeoutMs + 10000,
          });
          await r.body.dump();
          return r.statusCode;
        });
      const base = await leakProbe(ctx);
      await ctx.fault({ drop_rate: 1 });
      let statuses: number[];
      let warm: Awaited<ReturnType<typeof leakProbe>>;
      try {
        await fire(100); // warm-up: first-use allocations are not a leak
        warm = await leakProbe(ctx);
        statuses = await fire(1000);
      } finally {
        await ctx.clearFaults();
        await blaster.close();
      }
      const n504 = statuses.filter((s) => s === 504).length;
      expect(
        n504 === 1000,
        "all 1000 requests answered 504",
        Object.entries(statuses.reduce<Record<number, number>>((a, s) => ((a[s] = (a[s] ?? 0) + 1), a), {})),
      );
      expect(base.handles !== undefined, "gateway exports nodejs_active_handles_total");
      let last = base;
      const after = await waitFor(
        "in-flight back to zero and active handles back to the pre-run level (≤ +20)",
        async () => {
          last = await leakProbe(ctx);
          return (last.inflight ?? 0) === 0 &&
            (last.summaryInflight ?? 0) === 0 &&
            last.handles! <= base.handles! + 20
            ? last
            : undefined;
        },
        { timeoutMs: 15000, intervalMs: 250 },
      ).catch((e) => {
        throw new Error(
          `${(e as Error).message}; before ${JSON.stringify(base)}, now ${JSON.stringify(last)}`,
        );
      });
      // Memory is compared with the reading after the warm-up, when first-use allocations are done.
      const growth = (after.rss ?? 0) - (warm.rss ?? 0);
      expect(after.rss !== undefined, "gateway exports process_resident_memory_bytes");
      expect(
        growth < 64 * 1024 * 1024,
        "resident memory grew less than 64 MiB",
        `${(growth / 1048576).toFixed(1)} MiB`,
      );
      const ok = await ctx.decide(tenants[0]);
      expect(ok.status === 200, "decides normally afterwards", ok.text);
    },
  },
];
