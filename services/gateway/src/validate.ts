// Request validation: decoding the body (strict UTF-8, JSON object) and checking every field the
// contract names, then building the RouteRequest the router receives. Pure functions, unit-tested.
import type { RouteRequest } from "../../common/contract";
import { gatewayError, HttpError } from "./errors";

/** Longest accepted id-like string (tenant, request, trace, run, policy, message ids and types). */
export const MAX_ID_LENGTH = 256;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Strict decode: invalid UTF-8 is a client error, not silently replaced characters. */
export function parseJsonBody(buf: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw gatewayError("invalid_request", "body is not valid UTF-8", { field: "body" });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw gatewayError("invalid_request", "body is not valid JSON", { field: "body" });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw gatewayError("invalid_request", "body must be a JSON object", { field: "body" });
  }
  return v as Record<string, unknown>;
}

/** True for `application/json` and `application/<x>+json`, with any parameters. */
export function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const base = ct.split(";", 1)[0].trim().toLowerCase();
  return base === "application/json" || (base.startsWith("application/") && base.endsWith("+json"));
}

/** The ids a request carries in headers; header tenant and trace win over the body. */
export interface RequestHeaders {
  tenantId: string;
  traceId?: string;
  traceparent?: string;
  idempotencyKey?: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id inside a W3C traceparent, or undefined when it is malformed. */
export function traceIdFromTraceparent(tp: string | undefined): string | undefined {
  const m = tp ? TRACEPARENT.exec(tp.trim().toLowerCase()) : null;
  return m && !/^0+$/.test(m[1]) ? m[1] : undefined;
}

function bad(field: string, message: string): HttpError {
  return gatewayError("invalid_request", message, { field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optId(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v === "") throw bad(field, `${field} must be a non-empty string`);
  if (v.length > MAX_ID_LENGTH) throw bad(field, `${field} must be at most ${MAX_ID_LENGTH} characters`);
  return v;
}

function optObject(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(field, `${field} must be an object`);
  return v;
}

/**
 * Validates a decide/messages body and builds the RouteRequest. `h.tenantId` (the required
 * X-Tenant-ID header) and a header trace id replace the body values.
 */
export function buildRouteRequest(body: Record<string, unknown>, h: RequestHeaders): RouteRequest {
  if (body.version !== "1") throw bad("version", 'version must be "1"');
  const bodyTenant = body.tenant_id;
  if (bodyTenant !== undefined && (typeof bodyTenant !== "string" || bodyTenant.length > MAX_ID_LENGTH)) {
    throw bad("tenant_id", "tenant_id must be a string");
  }
  const requestId = body.request_id;
  if (typeof requestId !== "string" || requestId === "") {
    throw bad("request_id", "request_id must be a non-empty string");
  }
  if (requestId.length > MAX_ID_LENGTH) {
    throw bad("request_id", `request_id must be at most ${MAX_ID_LENGTH} characters`);
  }
  const bodyTrace = optId(body, "trace_id");
  const runId = optId(body, "run_id");
  const policyId = optId(body, "policy_id");
  const messageId = optId(body, "message_id");
  const messageType = optId(body, "message_type");
  const context = optObject(body, "context");
  const metadata = optObject(body, "metadata");
  let task: RouteRequest["task"];
  if (body.task !== undefined && body.task !== null) {
    if (!isObject(body.task)) throw bad("task", "task must be an object");
    const t = body.task;
    if (typeof t.type !== "string" || t.type === "") throw bad("task.type", "task.type must be a string");
    if (t.type.length > MAX_ID_LENGTH) {
      throw bad("task.type", `task.type must be at most ${MAX_ID_LENGTH} characters`);
    }
    if (!isObject(t.payload)) throw bad("task.payload", "task.payload must be an object");
    task = { type: t.type, payload: t.payload };
  }
  const traceId = h.traceId ?? traceIdFromTraceparent(h.traceparent) ?? bodyTrace;
  const message: NonNullable<RouteRequest["message"]> = {};
  if (messageId !== undefined) message.message_id = messageId;
  if (messageType !== undefined) message.message_type = messageType;
  if (body.payload !== undefined) message.payload = body.payload;
  if (metadata !== undefined) message.metadata = metadata;
  const rr: RouteRequest = { version: "1", tenant_id: h.tenantId, request_id: requestId };
  if (traceId !== undefined) rr.trace_id = traceId;
  if (runId !== undefined) rr.run_id = runId;
  if (task !== undefined) rr.task = task;
  rr.message = message;
  if (policyId !== undefined) rr.policy_id = policyId;
  if (context !== undefined) rr.context = context;
  return rr;
}

/** Header values: non-empty, bounded, single-valued. */
export function headerId(v: string | string[] | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const s = (Array.isArray(v) ? v[0] : v).trim();
  if (s === "") return undefined;
  if (s.length > MAX_ID_LENGTH) {
    throw gatewayError("invalid_request", `${name} header must be at most ${MAX_ID_LENGTH} characters`, {
      field: name,
    });
  }
  return s;
}
