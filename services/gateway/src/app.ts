// The Beamline gateway: HTTP (node:http) in front of the router on NATS. Contract section 1.
import http, { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { AddressInfo } from "node:net";
import { headers as natsHeaders, MsgHdrs } from "nats";
import { intakeSubject, ReplyContext, RouteRequest, SUBJECTS } from "../../common/contract";
import { createLogger, Logger } from "../../common/log";
import { GatewayConfig, loadGatewayConfig } from "./config";
import { envelope, gatewayError, HttpError, isOkReply, mapRouterReply } from "./errors";
import { readBody, sendJson, sendRaw } from "./http-io";
import { GatewayMetrics } from "./metrics";
import { Disconnected, isNoResponders, isTimeout, NatsLink, SentThenDisconnected } from "./nats-link";
import { RateLimiter } from "./rate-limiter";
import { buildRouteRequest, headerId, isJsonContentType, parseJsonBody } from "./validate";

export { loadGatewayConfig };
export type { GatewayConfig };

export interface RunningGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Internals for leak tests: requests in flight and pending NATS request bookkeeping. */
  debugStats(): { inflight: number; linkWaiters: number; natsMuxPending: number; natsSubscriptions: number };
}

const ROUTES = {
  decide: "/api/v1/routes/decide",
  messages: "/api/v1/messages",
  decision: "/api/v1/routes/decide/{message_id}",
} as const;
const DECISION_PREFIX = "/api/v1/routes/decide/";

const enc = new TextEncoder();

function methodNotAllowed(allow: string): HttpError {
  return gatewayError("method_not_allowed", `method not allowed; use ${allow}`, { allow }, { allow });
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startGateway(
  cfg: GatewayConfig,
  log: Logger = createLogger("gateway", cfg.logLevel),
): Promise<RunningGateway> {
  const metrics = new GatewayMetrics(cfg.metricsTenants);
  // HTTP listens before NATS is connected (the connection waits for a server that may not be up yet):
  // /health answers meanwhile, /ready and the API answer 503 until `nats` is set.
  let nats: NatsLink | undefined;
  const needLink = (): NatsLink => {
    if (!nats) throw gatewayError("unavailable", "NATS is not connected yet", {}, { "retry-after": "1" });
    return nats;
  };
  const limiter = new RateLimiter(cfg.rateLimitRps, cfg.rateLimitBurst);
  const sweep = setInterval(() => limiter.sweep(), 10000);
  sweep.unref();
  let inflight = 0;
  metrics.trackInflight(() => inflight);
  let shuttingDown = false;
  let drained: (() => void) | undefined;

  /** Tenant header, bearer token and rate limit: the checks every API request passes first. */
  function admit(
    req: IncomingMessage,
    ctx: ReplyContext,
    requireTenant: boolean,
    rlHeaders: Record<string, string>,
  ) {
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
        metrics.rateLimited(tenant);
        throw gatewayError(
          "rate_limit_exceeded",
          `tenant rate limit of ${cfg.rateLimitRps} requests/s exceeded`,
          { limit_rps: cfg.rateLimitRps, burst: cfg.rateLimitBurst },
          { ...rlHeaders, "retry-after": String(d.retryAfterS) },
        );
      }
    }
    // `inflight` already counts this request.
    if (inflight > cfg.maxInflight) {
      throw gatewayError(
        "service_overloaded",
        "gateway is at its bound of requests in flight",
        { max_inflight: cfg.maxInflight },
        { "retry-after": "1" },
      );
    }
    return tenant;
  }

  /** Header ids and the parsed, validated body of a decide/messages POST. */
  async function readRouteRequest(req: IncomingMessage, ctx: ReplyContext, tenant: string) {
    if (!isJsonContentType(req.headers["content-type"])) {
      throw gatewayError("unsupported_media_type", "Content-Type must be application/json", {
        content_type: String(req.headers["content-type"] ?? "").slice(0, 100),
      });
    }
    const traceId = headerId(req.headers["x-trace-id"], "X-Trace-ID");
    const traceparent = headerId(req.headers.traceparent, "traceparent");
    const idempotencyKey = headerId(req.headers["x-idempotency-key"], "X-Idempotency-Key");
    if (traceId) ctx.trace_id = traceId;
    const body = parseJsonBody(await readBody(req, cfg.maxBodyBytes));
    if (typeof body.request_id === "string" && body.request_id.length <= 256)
      ctx.request_id = body.request_id;
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

  function natsFailure(e: unknown, what: string): HttpError {
    if (e instanceof HttpError) return e;
    if (e instanceof Disconnected) {
      metrics.natsOutcome("disconnected");
      return gatewayError("unavailable", "NATS is disconnected", {}, { "retry-after": "1" });
    }
    if (isNoResponders(e)) {
      metrics.natsOutcome("no_responders");
      return gatewayError("unavailable", `no ${what} is listening`, {}, { "retry-after": "1" });
    }
    if (isTimeout(e)) {
      metrics.natsOutcome("timeout");
      return gatewayError("timeout", `${what} did not answer within ${cfg.routerRequestTimeoutMs} ms`, {
        timeout_ms: cfg.routerRequestTimeoutMs,
      });
    }
    metrics.natsOutcome("disconnected");
    return gatewayError(
      "unavailable",
      `NATS request failed: ${(e as Error).message}`,
      {},
      { "retry-after": "1" },
    );
  }

  async function decide(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: ReplyContext,
    rl: Record<string, string>,
  ) {
    const tenant = admit(req, ctx, true, rl)!;
    const link = needLink();
    const retryAfter = link.backpressureActive();
    if (retryAfter !== undefined) {
      throw gatewayError(
        "service_overloaded",
        "router signals backpressure",
        { backpressure: "active" },
        { "retry-after": String(retryAfter) },
      );
    }
    const { rr, h } = await readRouteRequest(req, ctx, tenant);
    let raw: Uint8Array;
    try {
      const msg = await link.request(
        SUBJECTS.decide,
        enc.encode(JSON.stringify(rr)),
        cfg.routerRequestTimeoutMs,
        h,
      );
      raw = msg.data;
    } catch (e) {
      throw natsFailure(e, "router");
    }
    if (!isOkReply(raw)) {
      const mapped = mapRouterReply(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8"));
      if (mapped.kind === "error") {
        metrics.natsOutcome(mapped.error.code === "bad_gateway" ? "bad_reply" : "error_reply");
        throw mapped.error;
      }
    }
    metrics.natsOutcome("ok");
    sendRaw(res, 200, raw, rl);
  }

  async function intake(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: ReplyContext,
    rl: Record<string, string>,
  ) {
    const tenant = admit(req, ctx, true, rl)!;
    const link = needLink();
    const { rr, h, idempotencyKey } = await readRouteRequest(req, ctx, tenant);
    const id = rr.message?.message_id ?? idempotencyKey ?? rr.request_id;
    // The stored request names its id, so the router files the decision under what GET asks for.
    rr.message = { ...rr.message, message_id: id };
    h.set("X-Message-ID", id);
    let ack;
    try {
      const data = enc.encode(JSON.stringify(rr));
      ack = await link.jsPublish(intakeSubject(id), data, id, cfg.jetstreamTimeoutMs, h);
    } catch (e) {
      if (isNoResponders(e)) void link.ensureStream();
      if (e instanceof SentThenDisconnected || isTimeout(e)) {
        // Sent, but no acknowledgement: JetStream may have stored it. Not a definite "not accepted"
        // (503), so 504; a retry with the same message id is safe (de-duplicated by Nats-Msg-Id).
        metrics.natsOutcome(e instanceof SentThenDisconnected ? "disconnected" : "timeout");
        throw gatewayError(
          "timeout",
          `JetStream did not acknowledge the message (${(e as Error).message}); it may have been stored: retry with the same message id`,
          { message_id: id, timeout_ms: cfg.jetstreamTimeoutMs },
          { "retry-after": "1" },
        );
      }
      const err = e instanceof Disconnected ? natsFailure(e, "JetStream") : undefined;
      if (!err) metrics.natsOutcome("js_error");
      throw (
        err ??
        gatewayError(
          "unavailable",
          `JetStream did not acknowledge the message: ${(e as Error).message}`,
          {},
          {
            "retry-after": "1",
          },
        )
      );
    }
    metrics.natsOutcome(ack.duplicate ? "js_duplicate" : "js_ok");
    sendJson(res, 202, { ok: true, message_id: id, stream_seq: ack.seq, duplicate: ack.duplicate }, rl);
  }

  async function getDecision(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: ReplyContext,
    rl: Record<string, string>,
    rawId: string,
  ) {
    admit(req, ctx, cfg.tenantTokens.size > 0, rl);
    const link = needLink();
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      throw gatewayError("invalid_request", "message id is not valid percent-encoding", {
        field: "message_id",
      });
    }
    if (id === "" || id.length > 256) {
      throw gatewayError("invalid_request", "message id must be 1 to 256 characters", {
        field: "message_id",
      });
    }
    const h = natsHeaders();
    if (ctx.tenant_id) h.set("X-Tenant-ID", ctx.tenant_id);
    const traceId = headerId(req.headers["x-trace-id"], "X-Trace-ID");
    if (traceId) {
      ctx.trace_id = traceId;
      h.set("X-Trace-ID", traceId);
    }
    let raw: Uint8Array;
    try {
      const msg = await link.request(
        SUBJECTS.getDecision,
        enc.encode(JSON.stringify({ message_id: id })),
        cfg.routerRequestTimeoutMs,
        h,
      );
      raw = msg.data;
    } catch (e) {
      throw natsFailure(e, "router");
    }
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
    const mapped = mapRouterReply(text);
    if (mapped.kind === "error") {
      if (mapped.error.code === "bad_gateway" && mapped.error.details.router_code === "not_found") {
        metrics.natsOutcome("error_reply");
        throw gatewayError("not_found", `no message ${JSON.stringify(id)} is known`, { message_id: id });
      }
      metrics.natsOutcome(mapped.error.code === "bad_gateway" ? "bad_reply" : "error_reply");
      throw mapped.error;
    }
    metrics.natsOutcome("ok");
    const pending = (mapped.body as { status?: unknown }).status === "pending";
    sendRaw(res, pending ? 202 : 200, raw, rl);
  }

  async function ready(res: ServerResponse) {
    const link = nats;
    const checks = {
      nats: !!link?.connected,
      jetstream: !!link && (await link.jetstreamReachable()),
      intake_stream: !!link?.streamReady,
      accepting: !shuttingDown,
    };
    if (link && checks.jetstream && !checks.intake_stream) void link.ensureStream();
    const failing = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => k);
    if (failing.length === 0) {
      sendJson(res, 200, { status: "ready", checks });
      return;
    }
    throw gatewayError(
      "unavailable",
      `not ready: ${failing.join(", ")}`,
      { checks, failing },
      { "retry-after": "1" },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    let route = "unmatched";
    const ctx: ReplyContext = {};
    const rl: Record<string, string> = {};
    let counted = false;
    try {
      if (path === ROUTES.decide || path === ROUTES.messages) {
        route = path;
        if (method !== "POST") throw methodNotAllowed("POST");
        counted = true;
        inflight++;
        if (path === ROUTES.decide) await decide(req, res, ctx, rl);
        else await intake(req, res, ctx, rl);
      } else if (path.startsWith(DECISION_PREFIX) && path.indexOf("/", DECISION_PREFIX.length) < 0) {
        route = ROUTES.decision;
        if (method !== "GET") throw methodNotAllowed("GET");
        counted = true;
        inflight++;
        await getDecision(req, res, ctx, rl, path.slice(DECISION_PREFIX.length));
      } else if (path === "/health") {
        route = path;
        if (method !== "GET") throw methodNotAllowed("GET");
        sendJson(res, 200, { status: "healthy", timestamp: new Date().toISOString() });
      } else if (path === "/ready") {
        route = path;
        if (method !== "GET") throw methodNotAllowed("GET");
        await ready(res);
      } else if (path === "/metrics") {
        route = path;
        if (method !== "GET") throw methodNotAllowed("GET");
        sendRaw(res, 200, await metrics.registry.metrics(), undefined, metrics.registry.contentType);
      } else if (path === "/_metrics") {
        route = path;
        if (method !== "GET") throw methodNotAllowed("GET");
        sendJson(res, 200, {
          ...metrics.summary(),
          inflight,
          nats: {
            connected: !!nats?.connected,
            server: nats?.connected ? nats.nc.getServer() : null,
            reconnects: nats?.reconnects ?? 0,
            backpressure_active: nats?.backpressureActive() !== undefined,
          },
        });
      } else {
        throw gatewayError("not_found", "no such endpoint", { path: path.slice(0, 200) });
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : gatewayError("internal", "internal error");
      if (!(e instanceof HttpError))
        log.error("unhandled error", { err: e as Error, route, trace_id: ctx.trace_id });
      if (err.status === 413) res.setHeader("connection", "close");
      sendJson(res, err.status, envelope(err, ctx), { ...rl, ...err.headers });
      const fields = {
        route,
        status: err.status,
        code: err.code,
        trace_id: ctx.trace_id,
        tenant_id: ctx.tenant_id,
        request_id: ctx.request_id,
      };
      if (err.status >= 500) log.warn("request failed", fields);
      else log.debug("request rejected", fields);
    } finally {
      if (counted) {
        inflight--;
        if (inflight === 0 && drained) drained();
      }
      metrics.observe(route, method, res.statusCode, (performance.now() - start) / 1000);
    }
  }

  const server = http.createServer(
    {
      headersTimeout: cfg.headersTimeoutMs,
      requestTimeout: cfg.httpRequestTimeoutMs,
      keepAliveTimeout: cfg.keepAliveTimeoutMs,
      // How often node checks the two timeouts above (default 30 s would let slow clients linger).
      connectionsCheckingInterval: Math.min(1000, cfg.headersTimeoutMs),
      noDelay: true,
    },
    (req, res) => {
      if (shuttingDown) res.setHeader("connection", "close");
      handle(req, res).catch((e) => log.error("handler crashed", { err: e as Error }));
    },
  );
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP or a timed-out slow client: answer 400/408 when still possible, then close.
    if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
      const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      const code = status === 408 ? "timeout" : "invalid_request";
      const body = JSON.stringify(
        envelope(
          new HttpError(
            status,
            code,
            status === 408 ? "request not completed in time" : "malformed HTTP request",
          ),
          {},
        ),
      );
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = cfg.host === "0.0.0.0" || cfg.host === "::" ? "127.0.0.1" : cfg.host;
  log.info("gateway listening", { host: cfg.host, port });
  try {
    nats = await NatsLink.open(cfg.nats, log, metrics);
  } catch (e) {
    server.closeAllConnections();
    server.close();
    clearInterval(sweep);
    throw e;
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    shuttingDown = true;
    log.info("gateway shutting down", { inflight, grace_ms: cfg.shutdownGraceMs });
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    if (inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, cfg.shutdownGraceMs);
        drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (inflight > 0) log.warn("grace period over with requests in flight", { inflight });
    server.closeAllConnections();
    await closed;
    clearInterval(sweep);
    await nats?.close();
    log.info("gateway stopped");
  }

  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    stop: () => (stopping ??= stop()),
    debugStats: () => {
      const proto = (
        needLink().nc as unknown as {
          protocol: { muxSubscriptions: { reqs: Map<string, unknown> }; subscriptions: { size(): number } };
        }
      ).protocol;
      return {
        inflight,
        linkWaiters: nats?.pendingWaiters ?? 0,
        natsMuxPending: proto.muxSubscriptions.reqs.size,
        natsSubscriptions: proto.subscriptions.size(),
      };
    },
  };
}

export type { RouteRequest, MsgHdrs };
