// Scenario group 1: subjects, reply inbox, headers, trace propagation and tenant isolation. The suite
// watches the wire with a plain (non-queue) NATS subscription, which sees a copy of what the gateway sends.
import { JSONCodec, Msg } from "nats";
import { intakeSubject, SUBJECTS } from "../../services/common/contract";
import type { Check } from "./check";
import { E2EContext, expect, waitFor } from "./context";
import { GATEWAY_ROUTES } from "../../services/common/service-contract";

const jc = JSONCodec();

/** Runs `action` while capturing messages on `subject`; returns the first one `match` accepts. */
/** Sends one decide request as `tenant` and captures what the gateway put on the decide subject. */
function sniffDecide(
  ctx: E2EContext,
  tenant: string,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) {
  return sniff(
    ctx,
    SUBJECTS.decide,
    (_m, b) => b?.request_id === body.request_id,
    () => ctx.http({ path: GATEWAY_ROUTES.decide, tenant, json: body, headers }),
  );
}

async function sniff<T>(
  ctx: E2EContext,
  subject: string,
  match: (m: Msg, body: any) => boolean,
  action: () => Promise<T>,
): Promise<{ msg: Msg; body: any; result: T }> {
  const nc = await ctx.nats();
  const seen: { msg: Msg; body: any }[] = [];
  const sub = nc.subscribe(subject);
  (async () => {
    for await (const m of sub) {
      let b: any;
      try {
        b = jc.decode(m.data);
      } catch {
        b = undefined;
      }
      seen.push({ msg: m, body: b });
    }
  })().catch(() => undefined);
  await nc.flush();
  try {
    const result = await action();
    const hit = await waitFor(`a message on ${subject}`, () => seen.find((s) => match(s.msg, s.body)), {
      timeoutMs: 5000,
    });
    return { ...hit, result };
  } finally {
    sub.unsubscribe();
  }
}

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

export const subjectChecks: Check[] = [
  {
    id: "subjects.decide-subject",
    group: "subjects",
    title: "POST /routes/decide sends one request on beamline.router.v1.decide and answers 200",
    async run(ctx) {
      const t = ctx.tenant(0);
      const body = ctx.body(t);
      const { result } = await sniffDecide(ctx, t, body);
      expect(result.status === 200, "decide answers 200", `${result.status} ${result.text}`);
      expect(
        result.json?.ok === true && typeof result.json?.decision?.provider_id === "string",
        "reply carries a decision",
        result.json,
      );
    },
  },
  {
    id: "subjects.reply-inbox",
    group: "subjects",
    title: "the request carries a reply inbox and the answer is for this request",
    async run(ctx) {
      const t = ctx.tenant(0);
      const body = ctx.body(t);
      const { msg, result } = await sniffDecide(ctx, t, body);
      expect(
        typeof msg.reply === "string" && msg.reply.length > 0,
        "NATS request has a reply subject",
        msg.reply,
      );
      expect(
        !msg.reply!.startsWith("beamline."),
        "reply subject is an inbox, not a service subject",
        msg.reply,
      );
      expect(
        result.json?.context?.request_id === body.request_id,
        "answer context.request_id matches",
        result.json,
      );
    },
  },
  {
    id: "subjects.route-request-shape",
    group: "subjects",
    title: "the RouteRequest forwards version, ids, task, message fields, policy and context",
    async run(ctx) {
      const t = ctx.tenant(1);
      const body = ctx.body(t, {
        run_id: "run-7",
        context: { region: "eu" },
        message_id: ctx.uid("msg"),
        message_type: "chat",
        payload: { a: 1 },
        metadata: { m: "x" },
      });
      const { body: rr } = await sniffDecide(ctx, t, body);
      expect(rr.version === "1" && rr.tenant_id === t, "version and tenant forwarded", rr);
      expect(
        rr.task?.type === "text.generate" && rr.task?.payload?.prompt === "hello",
        "task forwarded (the C gateway dropped it)",
        rr,
      );
      expect(rr.run_id === "run-7" && rr.context?.region === "eu", "run_id and context forwarded", rr);
      expect(
        rr.message?.message_id === body.message_id &&
          rr.message?.message_type === "chat" &&
          rr.message?.payload?.a === 1 &&
          rr.message?.metadata?.m === "x",
        "message_id/message_type/payload/metadata mapped into message",
        rr,
      );
    },
  },
  {
    id: "subjects.nats-headers",
    group: "subjects",
    title: "NATS headers carry X-Tenant-ID, X-Trace-ID and traceparent",
    async run(ctx) {
      const t = ctx.tenant(2);
      const body = ctx.body(t);
      const trace = ctx.uid("trace");
      const { msg } = await sniffDecide(ctx, t, body, { "x-trace-id": trace, traceparent: TRACEPARENT });
      expect(msg.headers, "request has NATS headers");
      expect(msg.headers!.get("X-Tenant-ID") === t, "X-Tenant-ID header", msg.headers!.get("X-Tenant-ID"));
      expect(msg.headers!.get("X-Trace-ID") === trace, "X-Trace-ID header", msg.headers!.get("X-Trace-ID"));
      expect(
        msg.headers!.get("traceparent") === TRACEPARENT,
        "traceparent header",
        msg.headers!.get("traceparent"),
      );
    },
  },
  {
    id: "subjects.trace-in-reply",
    group: "subjects",
    title: "X-Trace-ID comes back in the reply context and in the forwarded body",
    async run(ctx) {
      const t = ctx.tenant(2);
      const trace = ctx.uid("trace");
      const body = ctx.body(t);
      const { body: rr, result } = await sniffDecide(ctx, t, body, { "X-Trace-ID": trace });
      expect(rr.trace_id === trace, "forwarded trace_id is the header value", rr.trace_id);
      expect(
        result.json?.context?.trace_id === trace,
        "reply context.trace_id is the header value",
        result.json,
      );
    },
  },
  {
    id: "subjects.trace-generated",
    group: "subjects",
    title: "a request without trace id still gets one, the same in NATS header and body",
    async run(ctx) {
      const t = ctx.tenant(2);
      const body = ctx.body(t);
      const { msg, body: rr } = await sniffDecide(ctx, t, body);
      const h = msg.headers?.get("X-Trace-ID");
      expect(typeof rr.trace_id === "string" && rr.trace_id.length > 0, "forwarded body has a trace_id", rr);
      expect(h === rr.trace_id, "X-Trace-ID header equals body trace_id", { header: h, body: rr.trace_id });
    },
  },
  {
    id: "subjects.header-wins",
    group: "subjects",
    title: "header tenant and trace win over the body values",
    async run(ctx) {
      const t = ctx.tenant(3);
      const trace = ctx.uid("trace");
      const body = ctx.body(t, { tenant_id: "someone-else", trace_id: "body-trace" });
      const { body: rr, result } = await sniffDecide(ctx, t, body, { "x-trace-id": trace });
      expect(rr.tenant_id === t, "forwarded tenant_id is the header tenant", rr.tenant_id);
      expect(rr.trace_id === trace, "forwarded trace_id is the header trace", rr.trace_id);
      expect(result.status === 200, "answer 200", result.status);
    },
  },
  {
    id: "subjects.header-case",
    group: "subjects",
    title: "header names are case-insensitive",
    async run(ctx) {
      const t = ctx.tenant(3);
      const r = await ctx.http({
        path: GATEWAY_ROUTES.decide,
        json: ctx.body(t),
        headers: { "X-TENANT-ID": t, ...ctx.authHeaders(t), "x-TrAcE-iD": "case-trace" },
      });
      expect(r.status === 200, "answer 200 with upper-case tenant header", `${r.status} ${r.text}`);
      expect(r.json?.context?.trace_id === "case-trace", "mixed-case trace header honoured", r.json);
    },
  },
  {
    id: "subjects.original-gateway-shape",
    group: "subjects",
    title: "the router accepts the original C gateway's minimal request without headers",
    async run(ctx) {
      const rid = ctx.uid("req");
      const reply = await ctx.natsRequest(SUBJECTS.decide, {
        version: "1",
        tenant_id: ctx.tenant(4),
        request_id: rid,
        message: {},
      });
      expect(
        reply?.ok === true && reply?.decision?.provider_id,
        "router answers ok:true with a decision",
        reply,
      );
    },
  },
  {
    id: "subjects.router-service-api",
    group: "subjects",
    title: "the router answers the NATS services API ($SRV.PING)",
    async run(ctx) {
      const nc = await ctx.nats();
      const inbox = `_INBOX.${ctx.uid("ping")}`;
      const names: string[] = [];
      const sub = nc.subscribe(inbox);
      (async () => {
        for await (const m of sub) names.push((jc.decode(m.data) as { name?: string }).name ?? "");
      })().catch(() => undefined);
      nc.publish("$SRV.PING", new Uint8Array(), { reply: inbox });
      await waitFor("a $SRV.PING answer", () => names.length > 0, { timeoutMs: 3000 }).finally(() =>
        setTimeout(() => sub.unsubscribe(), 200),
      );
      expect(
        names.some((n) => /router/i.test(n)),
        "a service named like the router answered",
        names,
      );
    },
  },
  {
    id: "subjects.tenant-isolation-faults",
    usesRouterFaults: true,
    group: "subjects",
    title: "a fault for one tenant does not touch another tenant's requests",
    async run(ctx) {
      const a = ctx.tenant(5);
      const b = ctx.tenant(6);
      await ctx.fault({ tenant_id: a, error_code: "decision_failed", error_message: "isolated" });
      try {
        const [ra, rb] = await Promise.all([ctx.decide(a), ctx.decide(b)]);
        expect(
          ra.status === 500 && ra.json?.error?.code === "decision_failed",
          "faulted tenant gets its error",
          `${ra.status} ${ra.text}`,
        );
        expect(rb.status === 200, "other tenant unaffected", `${rb.status} ${rb.text}`);
        expect(ra.json?.context?.tenant_id === a, "error context names the tenant", ra.json);
      } finally {
        await ctx.clearFaults();
      }
    },
  },
  {
    id: "subjects.tenant-isolation-idempotency",
    group: "subjects",
    title: "the same request_id under two tenants is two different requests",
    async run(ctx) {
      const rid = ctx.uid("shared");
      const ra = await ctx.decide(ctx.tenant(7), { request_id: rid, task: { type: "a", payload: { x: 1 } } });
      const rb = await ctx.decide(ctx.tenant(8), { request_id: rid, task: { type: "b", payload: { y: 2 } } });
      expect(ra.status === 200 && rb.status === 200, "both tenants get a decision", [ra.text, rb.text]);
      expect(rb.json?.context?.request_id === rid, "second tenant's reply is for its own request", rb.json);
    },
  },
  {
    id: "subjects.durable-intake-subject",
    group: "subjects",
    title: "POST /messages stores on the intake subject with Nats-Msg-Id and answers 202 after the ack",
    async run(ctx) {
      const t = ctx.tenant(9);
      const mid = ctx.uid("msg");
      const { msg, result } = await sniff(
        ctx,
        `${SUBJECTS.intakePrefix}.>`,
        (m) => m.subject === intakeSubject(mid),
        () => ctx.http({ path: GATEWAY_ROUTES.messages, tenant: t, json: ctx.body(t, { message_id: mid }) }),
      );
      expect(result.status === 202, "answers 202", `${result.status} ${result.text}`);
      expect(
        result.json?.message_id === mid &&
          Number.isInteger(result.json?.stream_seq) &&
          result.json?.duplicate === false,
        "202 body names message id and stream sequence",
        result.json,
      );
      expect(
        msg.headers?.get("Nats-Msg-Id") === mid,
        "Nats-Msg-Id is the message id",
        msg.headers?.get("Nats-Msg-Id"),
      );
    },
  },
  {
    id: "subjects.durable-duplicate",
    group: "subjects",
    title: "a repeat inside the duplicate window answers 202 duplicate:true with the first sequence",
    async run(ctx) {
      const t = ctx.tenant(9);
      const key = ctx.uid("idem");
      const b = ctx.body(t);
      const first = await ctx.http({
        path: GATEWAY_ROUTES.messages,
        tenant: t,
        json: b,
        headers: { "x-idempotency-key": key },
      });
      const again = await ctx.http({
        path: GATEWAY_ROUTES.messages,
        tenant: t,
        json: b,
        headers: { "x-idempotency-key": key },
      });
      expect(first.status === 202 && first.json?.duplicate === false, "first is accepted", first.text);
      expect(again.status === 202 && again.json?.duplicate === true, "repeat is a duplicate", again.text);
      expect(again.json?.stream_seq === first.json?.stream_seq, "repeat reports the first sequence", [
        first.json,
        again.json,
      ]);
    },
  },
  {
    id: "subjects.durable-decision-lookup",
    group: "subjects",
    title: "a durable message gets decided (GET 200) and an unknown id is 404 not_found",
    async run(ctx) {
      const t = ctx.tenant(10);
      const mid = ctx.uid("msg");
      const post = await ctx.http({
        path: GATEWAY_ROUTES.messages,
        tenant: t,
        json: ctx.body(t, { message_id: mid }),
      });
      expect(post.status === 202, "accepted", post.text);
      const got = await waitFor(
        "the stored decision",
        async () => {
          const r = await ctx.http({
            path: `${GATEWAY_ROUTES.decisionPrefix}${encodeURIComponent(mid)}`,
            tenant: t,
          });
          return r.status === 200
            ? r
            : r.status === 202
              ? undefined
              : Promise.reject(new Error(`${r.status} ${r.text}`));
        },
        { timeoutMs: 15000, intervalMs: 100 },
      );
      expect(got.json?.ok === true && got.json?.decision?.provider_id, "decision body", got.json);
      const missing = await ctx.http({
        path: `${GATEWAY_ROUTES.decisionPrefix}${ctx.uid("nope")}`,
        tenant: t,
      });
      expect(
        missing.status === 404 && missing.json?.error?.code === "not_found",
        "unknown id is 404 not_found",
        missing.text,
      );
    },
  },
];
