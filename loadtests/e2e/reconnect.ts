// Scenario group 4: NATS restarts through the chaos driver (docker or process) — a single reconnect,
// requests in flight during a kill (each gets an answer or an explicit error), 10 quick restart cycles,
// no leaked connections, and the service resuming by itself.
import type { Check } from "./check";
import { E2EContext, expect, HttpAnswer, waitFor } from "./context";
import { metricSum } from "../../tooling/prom-text";
import { GATEWAY_ROUTES, HTTP_ROUTES } from "../../services/common/service-contract";

const EXPLICIT = new Set([200, 503, 504]);

async function ready(ctx: E2EContext, timeoutMs = 45000): Promise<void> {
  // Our own client must be back too: later steps inject faults over it.
  const nc = await ctx.nats();
  await waitFor("the validation client to reconnect to NATS", () => nc.flush().then(() => true), {
    timeoutMs,
    intervalMs: 200,
  });
  await waitFor(
    "gateway /ready 200 and a successful decide",
    async () => {
      const r = await ctx.http({ path: HTTP_ROUTES.ready, timeoutMs: 3000 });
      if (r.status !== 200) return false;
      const d = await ctx.decide(ctx.tenant(0));
      return d.status === 200;
    },
    { timeoutMs, intervalMs: 200 },
  );
  // One decide proves one router; with several, the others may still be reconnecting. Every router
  // that exports its NATS status must report 1, or a connection count taken now misses a router.
  await waitFor(
    "every router to report its NATS connection up",
    async () => (await ctx.routerNatsStatus()).every((s) => s === undefined || s === 1),
    { timeoutMs, intervalMs: 200 },
  );
}

async function natsUp(ctx: E2EContext): Promise<void> {
  await (await ctx.driver()).start({ role: "nats" });
  await ready(ctx);
}

/** Classifies one in-flight request's fate: an HTTP answer with an envelope, or a client-side error. */
async function settle(p: Promise<HttpAnswer>): Promise<{ status: number; code?: string; error?: string }> {
  try {
    const r = await p;
    return { status: r.status, code: r.json?.error?.code };
  } catch (e) {
    return { status: 0, error: (e as { code?: string }).code ?? (e as Error).message };
  }
}

export const reconnectChecks: Check[] = [
  {
    id: "reconnect.single",
    group: "reconnect",
    title: "NATS killed: /ready 503 and decide 503 unavailable + Retry-After; restarted: resumes by itself",
    timeoutMs: 90000,
    async run(ctx) {
      const d = await ctx.driver();
      await ready(ctx);
      const reconnectsBefore = (await ctx.gatewayMetric("gateway_nats_reconnects_total")) ?? 0;
      await d.kill({ role: "nats" });
      try {
        await waitFor(
          "gateway /ready to report 503",
          async () => (await ctx.http({ path: HTTP_ROUTES.ready, timeoutMs: 3000 })).status === 503,
          {
            timeoutMs: 20000,
          },
        );
        const r = await ctx.decide(ctx.tenant(0));
        expect(
          r.status === 503 && r.json?.error?.code === "unavailable",
          "decide answers 503 unavailable while NATS is down",
          `${r.status} ${r.text}`,
        );
        expect(r.headers["retry-after"] !== undefined, "503 carries Retry-After", r.headers);
      } finally {
        await natsUp(ctx);
      }
      const reconnectsAfter = (await ctx.gatewayMetric("gateway_nats_reconnects_total")) ?? 0;
      expect(reconnectsAfter >= reconnectsBefore + 1, "gateway_nats_reconnects_total counted the reconnect", {
        reconnectsBefore,
        reconnectsAfter,
      });
    },
  },
  {
    id: "reconnect.in-flight",
    usesRouterFaults: true,
    group: "reconnect",
    title: "requests in flight during a NATS kill each get an answer or an explicit error",
    timeoutMs: 120000,
    async run(ctx) {
      const d = await ctx.driver();
      const t = ctx.tenant(3);
      await ready(ctx);
      await ctx.fault({ tenant_id: t, delay_ms: 1500 });
      let fates: { status: number; code?: string; error?: string }[];
      try {
        const calls = Array.from({ length: 100 }, () => settle(ctx.decide(t)));
        // Wait until the gateway holds them (in-flight gauge), then pull NATS away under them.
        await waitFor(
          "requests in flight at the gateway",
          async () => ((await ctx.gatewayMetric("gateway_inflight_requests")) ?? 0) >= 50,
          {
            timeoutMs: 10000,
            intervalMs: 20,
          },
        );
        await d.kill({ role: "nats" });
        fates = await Promise.all(calls);
      } finally {
        await natsUp(ctx);
        await ctx.clearFaults();
      }
      const bad = fates.filter((f) => !EXPLICIT.has(f.status) || (f.status !== 200 && !f.code));
      const summary = fates.reduce<Record<string, number>>((a, f) => {
        const k = f.status ? `${f.status} ${f.code ?? ""}`.trim() : `client error ${f.error}`;
        a[k] = (a[k] ?? 0) + 1;
        return a;
      }, {});
      expect(
        bad.length === 0,
        "all 100 got 200 or an explicit 503/504 envelope (no reset, no hang)",
        summary,
      );
      ctx.log(`in-flight fates: ${JSON.stringify(summary)}`);
    },
  },
  {
    id: "reconnect.10-cycles",
    group: "reconnect",
    title: "10 quick NATS restart cycles: the stack resumes by itself afterwards",
    timeoutMs: 180000,
    async run(ctx) {
      const d = await ctx.driver();
      await ready(ctx);
      for (let i = 0; i < 10; i++) {
        await d.kill({ role: "nats" });
        await d.start({ role: "nats" });
        // Let clients start reconnecting before the next kill; no waiting for full recovery ("quick").
        await waitFor("NATS monitoring to answer", () => ctx.natsConnections().then(() => true), {
          timeoutMs: 10000,
        });
      }
      await ready(ctx, 60000);
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.decide(ctx.tenant(i))));
      expect(
        rs.every((r) => r.status === 200),
        "20 decides succeed after the storm",
        rs.map((r) => r.status),
      );
    },
  },
  {
    id: "reconnect.no-leaked-connections",
    group: "reconnect",
    title:
      "after restarts every client is connected again and holds no more NATS connections than before (/connz)",
    timeoutMs: 120000,
    async run(ctx) {
      const d = await ctx.driver();
      await ready(ctx);
      const before = await ctx.natsConnections();
      for (let i = 0; i < 3; i++) {
        await d.kill({ role: "nats" });
        await d.start({ role: "nats" });
        await waitFor("NATS monitoring to answer", () => ctx.natsConnections().then(() => true), {
          timeoutMs: 10000,
        });
      }
      await ready(ctx);
      // A leak is a client (name@address) holding more connections than before; a lost client is one
      // missing. "Before" may count more than the steady state, not less: on a cluster a node can still list
      // a connection whose client has already moved to another node after the previous check's restarts
      // (seen in CI on the 3-node dev stack: 2 per router before, 1 each after), so equality would fail a
      // healthy stack.
      const verdict = (now: { clients: string[] }) => {
        const count = (xs: string[]) =>
          xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
        const b = count(before.clients);
        const a = count(now.clients);
        const lost = [...b.keys()].filter((k) => !a.has(k));
        const leaked = [...a]
          .filter(([k, n]) => n > (b.get(k) ?? 0))
          .map(([k, n]) => `${k} ${b.get(k) ?? 0}→${n}`);
        return { ok: lost.length === 0 && leaked.length === 0, lost, leaked };
      };
      const after = await waitFor(
        "every pre-restart client back, none with more connections than before",
        async () => {
          const c = await ctx.natsConnections();
          return verdict(c).ok ? c : undefined;
        },
        { timeoutMs: 20000, intervalMs: 250 },
      ).catch(async (e) => {
        const now = await ctx.natsConnections();
        const v = verdict(now);
        throw new Error(
          `${(e as Error).message}; lost ${JSON.stringify(v.lost)}, more connections ${JSON.stringify(v.leaked)}; before ${JSON.stringify(before.clients)}, now ${JSON.stringify(now.clients)} (TCP probes not counted: ${before.probes} before, ${now.probes} now)`,
        );
      });
      expect(verdict(after).ok, "same clients, none with more connections than before", {
        before: before.clients,
        after: after.clients,
      });
    },
  },
  {
    id: "reconnect.router-down",
    group: "reconnect",
    title: "no router listening → 503 unavailable + Retry-After; router back → resumes",
    timeoutMs: 90000,
    async run(ctx) {
      const d = await ctx.driver();
      await ready(ctx);
      await d.kill({ role: "router" });
      try {
        const r = await waitFor(
          "503 unavailable from the gateway",
          async () => {
            const x = await ctx.decide(ctx.tenant(0));
            return x.status === 503 ? x : undefined;
          },
          { timeoutMs: 20000, intervalMs: 200 },
        );
        expect(r.json?.error?.code === "unavailable", "error.code unavailable", r.text);
        expect(r.headers["retry-after"] !== undefined, "Retry-After present", r.headers);
      } finally {
        await d.start({ role: "router" });
      }
      await ready(ctx);
    },
  },
  {
    id: "reconnect.durable-survives-restart",
    group: "reconnect",
    title: "messages accepted (202) before a NATS restart are all decided after it",
    timeoutMs: 120000,
    async run(ctx) {
      const d = await ctx.driver();
      const t = ctx.tenant(4);
      await ready(ctx);
      const ids = Array.from({ length: 30 }, () => ctx.uid("dur"));
      const posts = await Promise.all(
        ids.map((id) =>
          ctx.http({ path: GATEWAY_ROUTES.messages, tenant: t, json: ctx.body(t, { message_id: id }) }),
        ),
      );
      expect(
        posts.every((p) => p.status === 202),
        "all 30 accepted",
        posts.map((p) => p.status),
      );
      await d.kill({ role: "nats" });
      await natsUp(ctx);
      for (const id of ids) {
        await waitFor(
          `decision for ${id}`,
          async () =>
            (await ctx.http({ path: `${GATEWAY_ROUTES.decisionPrefix}${id}`, tenant: t })).status === 200,
          { timeoutMs: 30000, intervalMs: 200 },
        );
      }
      const js = metricSum(await ctx.gatewayMetrics(), "gateway_nats_connection_status");
      expect(js === undefined || js >= 1, "gateway reports NATS connected", js);
    },
  },
];
