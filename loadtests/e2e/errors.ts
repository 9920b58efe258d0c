// Scenario group 2: error semantics. Every gateway error of the contract's table, and every router error
// code (produced by fault injection) mapped to its HTTP status with the router's message preserved.
import { ROUTER_ERROR_STATUS, SUBJECTS } from "../../services/common/contract";
import type { Check } from "./check";
import { E2EContext, expect, HttpAnswer, MissingCapability } from "./context";
import { GATEWAY_ROUTES, HTTP_ROUTES } from "../../services/common/service-contract";

const DECIDE = GATEWAY_ROUTES.decide;

/** The contract's envelope: ok:false, error.{code,message,intake_error_code}, context. */
function expectEnvelope(r: HttpAnswer, status: number, code: string): void {
  expect(r.status === status, `status ${status}`, `${r.status} ${r.text.slice(0, 300)}`);
  expect(r.json?.ok === false, "body has ok:false", r.text);
  expect(r.json?.error?.code === code, `error.code ${code}`, r.json?.error);
  expect(
    typeof r.json?.error?.message === "string" && r.json.error.message.length > 0,
    "error.message is set",
    r.json?.error,
  );
  expect("intake_error_code" in (r.json?.error ?? {}), "error.intake_error_code is present", r.json?.error);
  expect(typeof r.json?.context === "object", "context is present", r.json);
}

function gatewayError(
  id: string,
  title: string,
  status: number,
  code: string,
  call: (ctx: E2EContext) => Promise<HttpAnswer>,
  extra?: (r: HttpAnswer) => void,
): Check {
  return {
    id: `errors.gateway.${id}`,
    group: "errors",
    title,
    async run(ctx) {
      const r = await call(ctx);
      expectEnvelope(r, status, code);
      extra?.(r);
    },
  };
}

const routerCodeChecks: Check[] = Object.entries(ROUTER_ERROR_STATUS).map(([code, status]) => ({
  id: `errors.router.${code}`,
  group: "errors" as const,
  title: `router ${code} → HTTP ${status}, message preserved`,
  usesRouterFaults: true,
  async run(ctx: E2EContext) {
    const t = ctx.tenant(11);
    const message = `injected ${code} ${ctx.uid("m")}`;
    await ctx.fault({ tenant_id: t, error_code: code, error_message: message });
    try {
      const r = await ctx.decide(t);
      expectEnvelope(r, status, code);
      expect(r.json.error.message === message, "router message preserved", r.json.error.message);
      expect(r.json.context?.tenant_id === t, "context.tenant_id set", r.json.context);
    } finally {
      await ctx.clearFaults();
    }
  },
}));

export const errorChecks: Check[] = [
  gatewayError("missing-tenant", "missing X-Tenant-ID → 400 invalid_request", 400, "invalid_request", (ctx) =>
    ctx.http({ path: DECIDE, json: ctx.body(ctx.tenant(0)) }),
  ),
  gatewayError("bad-json", "malformed JSON → 400 invalid_request", 400, "invalid_request", (ctx) =>
    ctx.http({
      path: DECIDE,
      tenant: ctx.tenant(0),
      raw: "{not json",
      headers: { "content-type": "application/json" },
    }),
  ),
  gatewayError(
    "bad-field",
    "task.type not a string → 400 invalid_request naming the field",
    400,
    "invalid_request",
    (ctx) =>
      ctx.http({
        path: DECIDE,
        tenant: ctx.tenant(0),
        json: ctx.body(ctx.tenant(0), { task: { type: 7, payload: {} } }),
      }),
    (r) => expect(r.json.error.details?.field === "task.type", "details.field names task.type", r.json.error),
  ),
  gatewayError("bad-version", 'version other than "1" → 400 invalid_request', 400, "invalid_request", (ctx) =>
    ctx.http({ path: DECIDE, tenant: ctx.tenant(0), json: ctx.body(ctx.tenant(0), { version: "2" }) }),
  ),
  gatewayError("too-large", "body over 64 KiB → 413 payload_too_large", 413, "payload_too_large", (ctx) =>
    ctx.http({
      path: DECIDE,
      tenant: ctx.tenant(0),
      json: ctx.body(ctx.tenant(0), { task: { type: "t", payload: { blob: "x".repeat(70 * 1024) } } }),
    }),
  ),
  gatewayError(
    "media-type",
    "text/plain body → 415 unsupported_media_type",
    415,
    "unsupported_media_type",
    (ctx) =>
      ctx.http({
        path: DECIDE,
        tenant: ctx.tenant(0),
        raw: JSON.stringify(ctx.body(ctx.tenant(0))),
        headers: { "content-type": "text/plain" },
      }),
  ),
  gatewayError("not-found", "unknown path → 404 not_found", 404, "not_found", (ctx) =>
    ctx.http({ path: "/api/v1/nothing-here" }),
  ),
  gatewayError(
    "method",
    "GET on the decide endpoint → 405 method_not_allowed",
    405,
    "method_not_allowed",
    (ctx) => ctx.http({ path: DECIDE, method: "GET", tenant: ctx.tenant(0) }),
  ),
  {
    id: "errors.gateway.unauthorized",
    group: "errors",
    title: "bearer tokens: wrong or missing → 401 unauthorized when configured; ignored when not",
    async run(ctx) {
      const t = ctx.tenant(0);
      const wrong = await ctx.http({
        path: DECIDE,
        json: ctx.body(t),
        headers: { "x-tenant-id": t, authorization: "Bearer wrong-token" },
      });
      if (!ctx.opts.tenantTokens?.[t]) {
        // No tokens given to the suite: the gateway must be in open mode (the contract requires a token
        // only when tenant tokens are configured), or we were not told its tokens.
        if (wrong.status === 401) {
          throw new MissingCapability(
            "the gateway requires tenant tokens but none were given (pass --tenant-tokens or BEAMLINE_TENANT_TOKENS)",
          );
        }
        expect(
          wrong.status === 200,
          "open mode: a request with any bearer token is decided",
          `${wrong.status} ${wrong.text}`,
        );
        ctx.note(
          "open mode verified: this gateway has no tenant tokens configured, so the 401 path was not exercised",
        );
        return;
      }
      expectEnvelope(wrong, 401, "unauthorized");
      const none = await ctx.http({ path: DECIDE, json: ctx.body(t), headers: { "x-tenant-id": t } });
      expectEnvelope(none, 401, "unauthorized");
      const right = await ctx.decide(t);
      expect(right.status === 200, "the right token is accepted", right.text);
    },
  },
  {
    id: "errors.gateway.foreign-token",
    group: "errors",
    title:
      "another tenant's valid token → 401 unauthorized (a token is bound to its tenant); ignored when open",
    async run(ctx) {
      const t = ctx.tenant(0);
      const other = ctx.tenants.find((x) => x !== t && ctx.opts.tenantTokens?.[x]);
      const foreign = other ? ctx.opts.tenantTokens![other] : "token-of-another-tenant";
      const r = await ctx.http({
        path: DECIDE,
        json: ctx.body(t),
        headers: { "x-tenant-id": t, authorization: `Bearer ${foreign}` },
      });
      if (!ctx.opts.tenantTokens?.[t] || !other) {
        if (r.status === 401) {
          throw new MissingCapability(
            "the gateway requires tenant tokens but tokens for two tenants were not given (pass --tenant-tokens)",
          );
        }
        expect(
          r.status === 200,
          "open mode: a request with any bearer token is decided",
          `${r.status} ${r.text}`,
        );
        ctx.note(
          "open mode verified: no tenant tokens configured, so cross-tenant tokens were not exercised",
        );
        return;
      }
      // The contract answers a token that is wrong for the tenant with 401 (it has no 403 for the gateway).
      expectEnvelope(r, 401, "unauthorized");
      expect(r.json.context?.tenant_id === t, "context names the tenant that was refused", r.json.context);
      expect(!r.text.includes(foreign), "the answer does not echo the token", r.json.error);
      const own = await ctx.decide(other);
      expect(own.status === 200, "the token still works for its own tenant", own.text);
    },
  },
  {
    id: "errors.gateway.rate-limit",
    group: "errors",
    title: "a tenant over its rate limit → 429 with Retry-After and X-RateLimit-*; other tenants unaffected",
    timeoutMs: 90000,
    async run(ctx) {
      const t = ctx.tenant(1);
      const bad = () =>
        ctx.http({ path: DECIDE, tenant: t, raw: "{", headers: { "content-type": "application/json" } });
      const probe = await bad();
      const limitHeader = probe.headers["x-ratelimit-limit"];
      if (limitHeader === undefined) {
        // The gateway sends X-RateLimit-* on every API answer when limiting is on; without them it is
        // off, and then no tenant may ever be limited.
        const rs = await Promise.all(Array.from({ length: 300 }, bad));
        expect(
          rs.every((r) => r.status === 400),
          "rate limiting off: 300 rapid requests of one tenant are never 429",
          [...new Set(rs.map((r) => r.status))],
        );
        ctx.note(
          "rate limiting is off on this gateway (no X-RateLimit-* headers), so the 429 path was not exercised",
        );
        return;
      }
      const limit = Number(limitHeader);
      // Invalid bodies are cheap for the gateway, and the rate limit is taken before the body is read.
      const answers: HttpAnswer[] = [];
      // Waves of concurrent requests until the bucket runs dry; bounded by time, since how fast a wave
      // goes depends on the machine (the bucket refills at `limit` per second meanwhile).
      const width = Math.max(100, Math.min(1000, limit));
      const deadline = Date.now() + 30000;
      while (Date.now() < deadline && !answers.some((a) => a.status === 429)) {
        answers.push(...(await Promise.all(Array.from({ length: width }, bad))));
      }
      const limited = answers.find((a) => a.status === 429);
      expect(
        limited,
        `some requests get 429 (limit ${limit}/s)`,
        `${answers.length} requests, statuses ${[...new Set(answers.map((a) => a.status))]}`,
      );
      expectEnvelope(limited!, 429, "rate_limit_exceeded");
      for (const h of ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
        expect(limited!.headers[h] !== undefined, `429 carries ${h}`, limited!.headers);
      }
      const other = await ctx.decide(ctx.tenant(2));
      expect(other.status === 200, "another tenant is not limited (per-tenant windows)", other.text);
    },
  },
  ...routerCodeChecks,
  {
    id: "errors.router.unknown-code",
    usesRouterFaults: true,
    group: "errors",
    title: "an error code outside the contract → 502 bad_gateway",
    async run(ctx) {
      const t = ctx.tenant(11);
      await ctx.fault({ tenant_id: t, error_code: "weird_code", error_message: "strange" });
      try {
        expectEnvelope(await ctx.decide(t), 502, "bad_gateway");
      } finally {
        await ctx.clearFaults();
      }
    },
  },
  {
    id: "errors.router.non-json",
    usesRouterFaults: true,
    group: "errors",
    title: "a non-JSON router reply → 502 bad_gateway",
    async run(ctx) {
      const t = ctx.tenant(11);
      await ctx.fault({ tenant_id: t, raw_reply: "this is not json" });
      try {
        expectEnvelope(await ctx.decide(t), 502, "bad_gateway");
      } finally {
        await ctx.clearFaults();
      }
    },
  },
  {
    id: "errors.router.intake-code-preserved",
    usesRouterFaults: true,
    group: "errors",
    title: "the router's intake code fills intake_error_code",
    async run(ctx) {
      const t = ctx.tenant(11);
      await ctx.fault({
        tenant_id: t,
        error_code: "invalid_request",
        intake_error_code: "PAYLOAD_TOO_SMALL",
        error_message: "too small",
      });
      try {
        const r = await ctx.decide(t);
        expectEnvelope(r, 400, "invalid_request");
        expect(
          r.json.error.intake_error_code === "PAYLOAD_TOO_SMALL",
          "intake_error_code preserved",
          r.json.error,
        );
      } finally {
        await ctx.clearFaults();
      }
    },
  },
  {
    id: "errors.router.idempotency-violation",
    group: "errors",
    title: "same request_id with different content → 400 IDEMPOTENCY_VIOLATION; same content → same decision",
    async run(ctx) {
      const t = ctx.tenant(3);
      const rid = ctx.uid("idem");
      const first = await ctx.decide(t, { request_id: rid });
      const same = await ctx.decide(t, { request_id: rid });
      const diff = await ctx.decide(t, { request_id: rid, task: { type: "other", payload: { z: 1 } } });
      expect(first.status === 200 && same.status === 200, "first and identical repeat succeed", [
        first.text,
        same.text,
      ]);
      expect(
        JSON.stringify(first.json.decision) === JSON.stringify(same.json.decision),
        "repeat returns the first decision",
        [first.json, same.json],
      );
      expectEnvelope(diff, 400, "invalid_request");
      expect(
        diff.json.error.intake_error_code === "IDEMPOTENCY_VIOLATION",
        "intake code IDEMPOTENCY_VIOLATION",
        diff.json.error,
      );
    },
  },
  {
    id: "errors.router.version-unsupported",
    group: "errors",
    title: "the router itself rejects an unsupported version with VERSION_UNSUPPORTED",
    async run(ctx) {
      const reply = await ctx.natsRequest(SUBJECTS.decide, {
        version: "9",
        tenant_id: ctx.tenant(4),
        request_id: ctx.uid("v"),
        message: {},
      });
      expect(
        reply?.ok === false && reply?.error?.intake_error_code === "VERSION_UNSUPPORTED",
        "router answers VERSION_UNSUPPORTED",
        reply,
      );
    },
  },
  {
    id: "errors.no-crash",
    group: "errors",
    title: "after every error above the gateway is healthy and still decides",
    async run(ctx) {
      const h = await ctx.http({ path: HTTP_ROUTES.health });
      expect(h.status === 200 && h.json?.status === "healthy", "/health 200 healthy", h.text);
      const r = await ctx.decide(ctx.tenant(0));
      expect(r.status === 200, "decide still works", r.text);
      const running = await (await ctx.driver()).running("gateway");
      expect(
        running.length > 0 && running.every(Boolean),
        "every gateway instance still runs (none crashed)",
        running,
      );
    },
  },
];
