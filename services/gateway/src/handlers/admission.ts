// What every API request passes before its handler does its own work: the tenant header, the bearer
// token, the tenant's rate limit and the in-flight bound (admit), and for decide/messages the header ids
// and the parsed, validated body (readRouteRequest).
import type { IncomingMessage } from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { headers as natsHeaders } from "nats";
import type { ReplyContext } from "../../../common/contract";
import type { NatsLink } from "../nats-link";
import { gatewayError } from "../errors";
import { readBody } from "../http-io";
import { ApiCall, GatewayState, needLink } from "../state";
import { buildRouteRequest, headerId, isJsonContentType, parseJsonBody } from "../validate";

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Tenant header, bearer token and rate limit: the checks every API request passes first. Sets the
 * rate-limit headers in `rlHeaders` (every answer carries them) and returns the tenant.
 */
export function admit(
  s: GatewayState,
  req: IncomingMessage,
  ctx: ReplyContext,
  requireTenant: boolean,
  rlHeaders: Record<string, string>,
): string | undefined {
  const { cfg, limiter } = s;
  const tenant = headerId(req.headers["x-tenant-id"], "X-Tenant-ID");
  if (tenant !== undefined) ctx.tenant_id = tenant;
  if (requireTenant && tenant === undefined) {
    throw gatewayError("invalid_request", "X-Tenant-ID header is required", { field: "X-Tenant-ID" });
  }
  if (cfg.tenantTokens.size > 0) {
    const auth = req.headers.authorization;
    const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
    const want = tenant !== undefined ? cfg.tenantTokens.get(tenant) : undefined;
    if (!m || want === undefined || !sameToken(m[1], want)) {
      throw gatewayError(
        "unauthorized",
        m ? "bearer token is not valid for this tenant" : "Authorization: Bearer <token> is required",
        {},
        { "www-authenticate": "Bearer" },
      );
    }
  }
  if (limiter.enabled && tenant !== undefined) {
    const d = limiter.take(tenant);
    rlHeaders["x-ratelimit-limit"] = String(d.limit);
    rlHeaders["x-ratelimit-remaining"] = String(d.remaining);
    rlHeaders["x-ratelimit-reset"] = String(d.resetS);
    if (!d.allowed) {
      s.metrics.rateLimited(tenant);
      throw gatewayError(
        "rate_limit_exceeded",
        `tenant rate limit of ${cfg.rateLimitRps} requests/s exceeded`,
        { limit_rps: cfg.rateLimitRps, burst: cfg.rateLimitBurst },
        { ...rlHeaders, "retry-after": String(d.retryAfterS) },
      );
    }
  }
  // `inflight` already counts this request.
  if (s.inflight > cfg.maxInflight) {
    throw gatewayError(
      "service_overloaded",
      "gateway is at its bound of requests in flight",
      { max_inflight: cfg.maxInflight },
      { "retry-after": "1" },
    );
  }
  return tenant;
}

/** The start of every POST: admit with the tenant required, then the NATS link (503 while there is none). */
export function admitPost(s: GatewayState, call: ApiCall): { tenant: string; link: NatsLink } {
  const tenant = admit(s, call.req, call.ctx, true, call.rl)!;
  return { tenant, link: needLink(s) };
}

/** Header ids and the parsed, validated body of a decide/messages POST. */
export async function readRouteRequest(
  s: GatewayState,
  req: IncomingMessage,
  ctx: ReplyContext,
  tenant: string,
) {
  if (!isJsonContentType(req.headers["content-type"])) {
    throw gatewayError("unsupported_media_type", "Content-Type must be application/json", {
      content_type: String(req.headers["content-type"] ?? "").slice(0, 100),
    });
  }
  const traceId = headerId(req.headers["x-trace-id"], "X-Trace-ID");
  const traceparent = headerId(req.headers.traceparent, "traceparent");
  const idempotencyKey = headerId(req.headers["x-idempotency-key"], "X-Idempotency-Key");
  if (traceId) ctx.trace_id = traceId;
  const body = parseJsonBody(await readBody(req, s.cfg.maxBodyBytes));
  if (typeof body.request_id === "string" && body.request_id.length <= 256) ctx.request_id = body.request_id;
  const rr = buildRouteRequest(body, { tenantId: tenant, traceId, traceparent });
  // Every request gets a trace id so its logs (and the router's) can be joined.
  // randomUUID draws from a cached entropy pool; randomBytes(16) per request showed up at 3% in the profile.
  if (rr.trace_id === undefined) rr.trace_id = randomUUID().replaceAll("-", "");
  ctx.trace_id = rr.trace_id;
  const h = natsHeaders();
  h.set("X-Tenant-ID", tenant);
  h.set("X-Trace-ID", rr.trace_id);
  if (traceparent) h.set("traceparent", traceparent);
  return { rr, h, idempotencyKey };
}
