// One HTTP request from arrival to answer: the route table (path and method to a handler in handlers/),
// the in-flight count of API requests, the error envelope for anything a handler throws, the log line
// of a failed request and the request metrics.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReplyContext } from "../../common/contract";
import { GATEWAY_ROUTES as ROUTES, HTTP_ROUTES } from "../../common/service-contract";
import { envelope, gatewayError, HttpError } from "./errors";
import { sendJson } from "./http-io";
import { decide } from "./handlers/decide";
import { getDecision } from "./handlers/decision";
import { intake } from "./handlers/messages";
import { health, metricsSummary, prometheusMetrics, ready } from "./handlers/ops";
import type { ApiCall, GatewayState } from "./state";

const DECISION_PREFIX = ROUTES.decisionPrefix;

function methodNotAllowed(allow: string): HttpError {
  return gatewayError("method_not_allowed", `method not allowed; use ${allow}`, { allow }, { allow });
}

export async function handle(s: GatewayState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const start = performance.now();
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? "GET";
  let route = "unmatched";
  const ctx: ReplyContext = {};
  const rl: Record<string, string> = {};
  const call: ApiCall = { req, res, ctx, rl };
  let counted = false;
  try {
    if (path === ROUTES.decide || path === ROUTES.messages) {
      route = path;
      if (method !== "POST") throw methodNotAllowed("POST");
      counted = true;
      s.inflight++;
      if (path === ROUTES.decide) await decide(s, call);
      else await intake(s, call);
    } else if (path.startsWith(DECISION_PREFIX) && path.indexOf("/", DECISION_PREFIX.length) < 0) {
      route = ROUTES.decision;
      if (method !== "GET") throw methodNotAllowed("GET");
      counted = true;
      s.inflight++;
      await getDecision(s, call, path.slice(DECISION_PREFIX.length));
    } else if (path === HTTP_ROUTES.health) {
      route = path;
      if (method !== "GET") throw methodNotAllowed("GET");
      health(res);
    } else if (path === HTTP_ROUTES.ready) {
      route = path;
      if (method !== "GET") throw methodNotAllowed("GET");
      await ready(s, res);
    } else if (path === HTTP_ROUTES.metrics) {
      route = path;
      if (method !== "GET") throw methodNotAllowed("GET");
      await prometheusMetrics(s, res);
    } else if (path === ROUTES.debugMetrics) {
      route = path;
      if (method !== "GET") throw methodNotAllowed("GET");
      metricsSummary(s, res);
    } else {
      throw gatewayError("not_found", "no such endpoint", { path: path.slice(0, 200) });
    }
  } catch (e) {
    const err = e instanceof HttpError ? e : gatewayError("internal", "internal error");
    if (!(e instanceof HttpError))
      s.log.error("unhandled error", { err: e as Error, route, trace_id: ctx.trace_id });
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
    if (err.status >= 500) s.log.warn("request failed", fields);
    else s.log.debug("request rejected", fields);
  } finally {
    if (counted) {
      s.inflight--;
      if (s.inflight === 0 && s.drained) s.drained();
    }
    s.metrics.observe(route, method, res.statusCode, (performance.now() - start) / 1000);
  }
}
