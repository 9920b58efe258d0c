// Intake validation for `beamline.router.v1.decide` (and the durable intake). Each rule maps to exactly
// one intake code; the rules are checked in this order and the first failure wins:
//
//   PAYLOAD_TOO_SMALL          raw payload shorter than the smallest valid RouteRequest
//                              ({"version":"1","tenant_id":"a","request_id":"b"}, 48 bytes), incl. empty.
//   SCHEMA_VALIDATION_FAILED   payload over ROUTER_MAX_PAYLOAD_BYTES, not UTF-8, not JSON, not an object,
//                              `version` missing / not a string, or an optional field with a wrong type
//                              (task {type: non-empty string, payload: object}, message object with string
//                              message_id/message_type and object metadata, policy_id, run_id strings,
//                              context object).
//   VERSION_UNSUPPORTED        `version` is a string other than "1".
//   CORRELATION_FIELDS_INVALID tenant_id / request_id missing, not strings, empty, longer than 256, or
//                              containing whitespace/control characters; trace_id or the X-Tenant-ID /
//                              X-Trace-ID headers present but malformed the same way (trace: ≤128).
//   TENANT_FORBIDDEN           ROUTER_ALLOWED_TENANTS is set and the tenant is not in it.
//   INTERNAL_VALIDATION_ERROR  the validator itself failed unexpectedly (a bug, never the caller's fault).
// IDEMPOTENCY_VIOLATION is stateful and checked by the decide handler after these rules pass.
import type { IntakeCode, RouteRequest } from "../../common/contract";

export interface IntakeHeaders {
  tenantId?: string;
  traceId?: string;
  traceparent?: string;
}

export interface ValidIntake {
  req: RouteRequest;
  /** Effective tenant: the X-Tenant-ID header wins over the body (contract §1). */
  tenantId: string;
  requestId: string;
  /** X-Trace-ID header, else the trace id of a valid traceparent, else body trace_id. */
  traceId?: string;
}

export interface IntakeFailure {
  code: IntakeCode;
  message: string;
  details: Record<string, unknown>;
  /** Whatever correlation fields could be read, for the error reply context. */
  context: { request_id?: string; tenant_id?: string; trace_id?: string };
}

export type IntakeResult = { ok: true; value: ValidIntake } | { ok: false; error: IntakeFailure };

export interface ValidationOptions {
  maxPayloadBytes: number;
  /** Tenant allowlist check; undefined = every tenant allowed. */
  tenantAllowed?: (tenantId: string) => boolean;
}

export const MIN_PAYLOAD_BYTES = JSON.stringify({ version: "1", tenant_id: "a", request_id: "b" }).length;
const ID_RE = /^[^\s\p{Cc}]{1,256}$/u;
const TRACE_RE = /^[^\s\p{Cc}]{1,128}$/u;
const TRACEPARENT_RE = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
// One decoder for the process: `fatal` turns invalid UTF-8 into an exception instead of U+FFFD.
const utf8 = new TextDecoder("utf-8", { fatal: true });

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Trace id from a W3C traceparent header; undefined when absent or malformed (W3C: ignore it). */
export function traceIdFromTraceparent(tp: string | undefined): string | undefined {
  if (!tp) return undefined;
  const m = TRACEPARENT_RE.exec(tp.trim());
  return m && m[1] !== "0".repeat(32) ? m[1] : undefined;
}

export function validateIntake(
  data: Uint8Array,
  headers: IntakeHeaders,
  opts: ValidationOptions,
): IntakeResult {
  const context: IntakeFailure["context"] = {};
  const fail = (code: IntakeCode, message: string, details: Record<string, unknown> = {}): IntakeResult => ({
    ok: false,
    error: { code, message, details, context },
  });
  try {
    return check(data, headers, opts, context, fail);
  } catch (e) {
    return fail("INTERNAL_VALIDATION_ERROR", `intake validation failed internally: ${(e as Error).message}`);
  }
}

function check(
  data: Uint8Array,
  headers: IntakeHeaders,
  opts: ValidationOptions,
  context: IntakeFailure["context"],
  fail: (code: IntakeCode, message: string, details?: Record<string, unknown>) => IntakeResult,
): IntakeResult {
  if (headers.tenantId !== undefined) context.tenant_id = headers.tenantId;
  const headerTrace = headers.traceId ?? traceIdFromTraceparent(headers.traceparent);
  if (headerTrace !== undefined) context.trace_id = headerTrace;

  if (data.length < MIN_PAYLOAD_BYTES) {
    return fail(
      "PAYLOAD_TOO_SMALL",
      `payload is ${data.length} bytes; the smallest valid request is ${MIN_PAYLOAD_BYTES} bytes`,
      { size: data.length, min_bytes: MIN_PAYLOAD_BYTES },
    );
  }
  if (data.length > opts.maxPayloadBytes) {
    return fail(
      "SCHEMA_VALIDATION_FAILED",
      `payload is ${data.length} bytes; at most ${opts.maxPayloadBytes} are accepted`,
      { size: data.length, max_bytes: opts.maxPayloadBytes },
    );
  }
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return fail("SCHEMA_VALIDATION_FAILED", "payload is not valid UTF-8");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return fail("SCHEMA_VALIDATION_FAILED", `payload is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(body)) return fail("SCHEMA_VALIDATION_FAILED", "payload must be a JSON object");

  // Correlation fields are read first (before failing on anything else) so error replies carry them.
  if (typeof body.request_id === "string" && ID_RE.test(body.request_id))
    context.request_id = body.request_id;
  if (context.tenant_id === undefined && typeof body.tenant_id === "string" && ID_RE.test(body.tenant_id)) {
    context.tenant_id = body.tenant_id;
  }
  if (context.trace_id === undefined && typeof body.trace_id === "string" && TRACE_RE.test(body.trace_id)) {
    context.trace_id = body.trace_id;
  }

  if (body.version === undefined)
    return fail("SCHEMA_VALIDATION_FAILED", "version is required", { field: "version" });
  if (typeof body.version !== "string") {
    return fail("SCHEMA_VALIDATION_FAILED", "version must be a string", { field: "version" });
  }
  if (body.version !== "1") {
    return fail("VERSION_UNSUPPORTED", `version ${JSON.stringify(body.version)} is not supported; use "1"`, {
      field: "version",
      supported: ["1"],
    });
  }

  for (const field of ["tenant_id", "request_id"] as const) {
    const v = body[field];
    if (typeof v !== "string" || !ID_RE.test(v)) {
      return fail(
        "CORRELATION_FIELDS_INVALID",
        `${field} must be a non-empty string of at most 256 characters without whitespace or control characters`,
        { field },
      );
    }
  }
  if (body.trace_id !== undefined && (typeof body.trace_id !== "string" || !TRACE_RE.test(body.trace_id))) {
    return fail(
      "CORRELATION_FIELDS_INVALID",
      "trace_id must be a string of 1-128 characters without whitespace",
      {
        field: "trace_id",
      },
    );
  }
  if (headers.tenantId !== undefined && !ID_RE.test(headers.tenantId)) {
    return fail("CORRELATION_FIELDS_INVALID", "X-Tenant-ID header is malformed", { field: "X-Tenant-ID" });
  }
  if (headers.traceId !== undefined && !TRACE_RE.test(headers.traceId)) {
    return fail("CORRELATION_FIELDS_INVALID", "X-Trace-ID header is malformed", { field: "X-Trace-ID" });
  }

  const schema = (field: string, expected: string) =>
    fail("SCHEMA_VALIDATION_FAILED", `${field} must be ${expected}`, { field });
  if (body.task !== undefined) {
    if (!isObject(body.task)) return schema("task", "an object");
    if (typeof body.task.type !== "string" || body.task.type === "")
      return schema("task.type", "a non-empty string");
    if (!isObject(body.task.payload)) return schema("task.payload", "an object");
  }
  if (body.message !== undefined) {
    const m = body.message;
    if (!isObject(m)) return schema("message", "an object");
    if (m.message_id !== undefined && typeof m.message_id !== "string")
      return schema("message.message_id", "a string");
    if (m.message_type !== undefined && typeof m.message_type !== "string") {
      return schema("message.message_type", "a string");
    }
    if (m.metadata !== undefined && !isObject(m.metadata)) return schema("message.metadata", "an object");
  }
  if (body.policy_id !== undefined && (typeof body.policy_id !== "string" || body.policy_id === "")) {
    return schema("policy_id", "a non-empty string");
  }
  if (body.run_id !== undefined && typeof body.run_id !== "string") return schema("run_id", "a string");
  if (body.context !== undefined && !isObject(body.context)) return schema("context", "an object");

  const tenantId = headers.tenantId ?? (body.tenant_id as string);
  context.tenant_id = tenantId;
  if (opts.tenantAllowed && !opts.tenantAllowed(tenantId)) {
    return fail("TENANT_FORBIDDEN", `tenant ${JSON.stringify(tenantId)} is not allowed on this router`, {
      tenant_id: tenantId,
    });
  }
  return {
    ok: true,
    value: {
      req: body as unknown as RouteRequest,
      tenantId,
      requestId: body.request_id as string,
      traceId: context.trace_id,
    },
  };
}
