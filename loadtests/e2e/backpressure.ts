// Scenario group 5: the router's backpressure signal turns into 503 service_overloaded with Retry-After,
// traffic resumes when it clears, the durable path loses nothing, and the gateway's own in-flight bound
// sheds load the same way.
import { SUBJECTS } from "../../services/common/contract";
import type { Check } from "./check";
import { E2EContext, expect, HttpAnswer, waitFor } from "./context";
import { GATEWAY_ROUTES, HTTP_ROUTES } from "../../services/common/service-contract";

async function overloaded(ctx: E2EContext): Promise<HttpAnswer> {
  return waitFor(
    "the gateway to answer 503 service_overloaded",
    async () => {
      const r = await ctx.decide(ctx.tenant(0));
      return r.status === 503 && r.json?.error?.code === "service_overloaded" ? r : undefined;
    },
    { timeoutMs: 15000, intervalMs: 100 },
  );
}

async function resumed(ctx: E2EContext): Promise<void> {
  await waitFor("decide to answer 200 again", async () => (await ctx.decide(ctx.tenant(0))).status === 200, {
    timeoutMs: 15000,
    intervalMs: 100,
  });
}

async function withBackpressure<T>(ctx: E2EContext, fn: () => Promise<T>): Promise<T> {
  await ctx.fault({ backpressure: "active" });
  try {
    return await fn();
  } finally {
    await ctx.clearFaults();
  }
}

export const backpressureChecks: Check[] = [
  {
    id: "backpressure.signal-503",
    group: "backpressure",
    title: "router backpressure active → 503 service_overloaded with Retry-After",
    async run(ctx) {
      const r = await withBackpressure(ctx, () => overloaded(ctx));
      const ra = Number(r.headers["retry-after"]);
      expect(
        Number.isFinite(ra) && ra >= 1,
        "Retry-After is a positive number of seconds",
        r.headers["retry-after"],
      );
      await resumed(ctx);
    },
  },
  {
    id: "backpressure.status-subject",
    group: "backpressure",
    title: "the router answers its status subject with the contract's fields",
    async run(ctx) {
      const st = await withBackpressure(ctx, () =>
        waitFor(
          "status active on the backpressure subject",
          async () => {
            const s = await ctx.natsRequest(SUBJECTS.backpressure, {});
            return s?.status === "active" ? s : undefined;
          },
          { timeoutMs: 10000 },
        ),
      );
      for (const k of ["pending", "inflight", "latency_p95_ms", "retry_after_s"]) {
        expect(typeof st[k] === "number", `status.${k} is a number`, st);
      }
    },
  },
  {
    id: "backpressure.metric",
    group: "backpressure",
    title: "gateway_backpressure_active is 1 while active and 0 after",
    async run(ctx) {
      await withBackpressure(ctx, async () => {
        await overloaded(ctx);
        const v = await ctx.gatewayMetric("gateway_backpressure_active");
        expect(v === 1, "gateway_backpressure_active = 1", v);
      });
      await resumed(ctx);
      const after = await waitFor(
        "gateway_backpressure_active back to 0",
        async () => (await ctx.gatewayMetric("gateway_backpressure_active")) === 0,
        {
          timeoutMs: 10000,
        },
      );
      expect(after, "gauge cleared");
    },
  },
  {
    id: "backpressure.resume",
    group: "backpressure",
    title: "traffic resumes by itself when the signal clears",
    async run(ctx) {
      await withBackpressure(ctx, () => overloaded(ctx));
      const t0 = Date.now();
      await resumed(ctx);
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.decide(ctx.tenant(i))));
      expect(
        rs.every((r) => r.status === 200),
        "20 decides succeed after clearing",
        rs.map((r) => r.status),
      );
      ctx.log(`resumed ${Date.now() - t0} ms after clearing`);
    },
  },
  {
    id: "backpressure.durable-no-loss",
    group: "backpressure",
    title: "durable path under backpressure: every accepted message is decided after it clears",
    timeoutMs: 90000,
    async run(ctx) {
      const t = ctx.tenant(5);
      const ids = Array.from({ length: 50 }, () => ctx.uid("bp"));
      const posts = await withBackpressure(ctx, async () => {
        await overloaded(ctx);
        return Promise.all(
          ids.map((id) =>
            ctx.http({ path: GATEWAY_ROUTES.messages, tenant: t, json: ctx.body(t, { message_id: id }) }),
          ),
        );
      });
      const explicit = posts.every((p) => p.status === 202 || (p.status === 503 && p.json?.error?.code));
      expect(
        explicit,
        "each intake answer is 202 or an explicit 503",
        posts.map((p) => p.status),
      );
      const accepted = ids.filter((_, i) => posts[i].status === 202);
      expect(
        accepted.length > 0,
        "the durable path keeps accepting while decisions are shed",
        posts.map((p) => p.status),
      );
      for (const id of accepted) {
        await waitFor(
          `decision for ${id}`,
          async () =>
            (await ctx.http({ path: `${GATEWAY_ROUTES.decisionPrefix}${id}`, tenant: t })).status === 200,
          {
            timeoutMs: 30000,
            intervalMs: 200,
          },
        );
      }
      ctx.log(`durable: ${accepted.length}/${ids.length} accepted, all decided`);
    },
  },
  {
    id: "backpressure.inflight-bound",
    group: "backpressure",
    title: "more requests than the gateway's in-flight bound → the excess gets 503 service_overloaded",
    timeoutMs: 90000,
    async run(ctx) {
      // A backpressure state cleared by the previous check reaches the gateway with the router's next
      // status publish; until then requests are shed at once and the bound never fills.
      await resumed(ctx);
      const n = ctx.maxInflight + 100;
      // Hold requests at the router (a `hold` fault: replies wait for the next fault command) so the
      // first `maxInflight` fill the bound; once the gateway's in-flight gauge shows it full, the extra
      // 100 must be shed at once, and clearing the fault answers the held ones well within the gateway
      // timeout. (A fixed delay instead raced the router's queueing on a busy machine: requests that
      // reached it late timed out.) delay_ms only caps the hold if this check dies half-way.
      // Open the client connections first (cheap /health calls), so filling the bound is not slowed
      // down by connection set-up on a busy machine.
      await Promise.all(Array.from({ length: n }, () => ctx.http({ path: HTTP_ROUTES.health })));
      await ctx.fault({ hold: true, delay_ms: Math.floor(ctx.gatewayTimeoutMs * 0.9) });
      let first: Promise<HttpAnswer>[] = [];
      let extra: HttpAnswer[] = [];
      try {
        first = Array.from({ length: ctx.maxInflight }, (_, i) => ctx.decide(ctx.tenant(i)));
        await waitFor(
          `the gateway to hold ${ctx.maxInflight} requests in flight`,
          async () => ((await ctx.gatewayMetric("gateway_inflight_requests")) ?? 0) >= ctx.maxInflight,
          { timeoutMs: ctx.gatewayTimeoutMs * 0.85, intervalMs: 20 },
        );
        extra = await Promise.all(
          Array.from({ length: n - ctx.maxInflight }, (_, i) => ctx.decide(ctx.tenant(i))),
        );
      } finally {
        await ctx.clearFaults();
      }
      const rs = [...(await Promise.all(first)), ...extra];
      const shed = rs.filter((r) => r.status === 503 && r.json?.error?.code === "service_overloaded");
      const ok = rs.filter((r) => r.status === 200);
      expect(
        shed.length > 0,
        `some of ${n} concurrent requests were shed with 503 service_overloaded`,
        rs.reduce<Record<number, number>>((a, r) => ((a[r.status] = (a[r.status] ?? 0) + 1), a), {}),
      );
      expect(
        shed.every((r) => r.headers["retry-after"] !== undefined),
        "every shed answer carries Retry-After",
      );
      expect(
        ok.length + shed.length === n,
        "the rest were answered 200",
        rs.reduce<Record<string, number>>(
          (a, r) => (
            (a[`${r.status} ${r.json?.error?.code ?? ""}`] =
              (a[`${r.status} ${r.json?.error?.code ?? ""}`] ?? 0) + 1),
            a
          ),
          {},
        ),
      );
      await resumed(ctx);
    },
  },
];
