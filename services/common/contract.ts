// The Beamline wire contract (../shared/contract/README.md) in one place: subjects, error codes and
// the router-code → HTTP-status mapping. Gateway, router, tests and load tools import from here.

export const SUBJECTS = {
  decide: "beamline.router.v1.decide",
  getDecision: "beamline.router.v1.get_decision",
  intakePrefix: "beamline.router.v1.intake",
  backpressure: "beamline.router.v2.status.backpressure",
  faults: "beamline.router.control.v1.faults",
} as const;

export const ROUTER_QUEUE_GROUP = "router";
export const INTAKE_STREAM = "BEAMLINE_INTAKE";
export const INTAKE_SUBJECTS = "beamline.router.v1.intake.>";
export const INTAKE_CONSUMER = "router-decide-consumer";
export const DECISIONS_BUCKET = "BEAMLINE_DECISIONS";
/** Synchronous decide idempotency records, shared by every router (key = idempotencyKey(tenant, request_id)). */
export const IDEMPOTENCY_BUCKET = "BEAMLINE_IDEMPOTENCY";

/** Gateway error codes and their HTTP statuses. */
export const GATEWAY_ERRORS = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_exceeded: 429,
  bad_gateway: 502,
  service_overloaded: 503,
  unavailable: 503,
  timeout: 504,
  internal: 500,
} as const;
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** Router error codes → HTTP status. Anything not listed maps to 502 bad_gateway. */
export const ROUTER_ERROR_STATUS: Record<string, number> = {
  invalid_request: 400,
  unauthorized: 401,
  validator_blocked: 403,
  tenant_forbidden: 403,
  policy_not_found: 404,
  extension_not_found: 404,
  extension_timeout: 504,
  extension_unavailable: 503,
  decision_failed: 500,
  internal: 500,
  extension_error: 500,
  post_processor_failed: 500,
};

/** Router intake codes (`intake_error_code`) and the `error.code` each one carries. */
export const INTAKE_CODES = {
  SCHEMA_VALIDATION_FAILED: "invalid_request",
  VERSION_UNSUPPORTED: "invalid_request",
  CORRELATION_FIELDS_INVALID: "invalid_request",
  TENANT_FORBIDDEN: "tenant_forbidden",
  IDEMPOTENCY_VIOLATION: "invalid_request",
  PAYLOAD_TOO_SMALL: "invalid_request",
  INTERNAL_VALIDATION_ERROR: "internal",
} as const;
export type IntakeCode = keyof typeof INTAKE_CODES;

export interface Task {
  type: string;
  payload: Record<string, unknown>;
}

/** What the gateway sends on `beamline.router.v1.decide` (and stores on the intake stream). */
export interface RouteRequest {
  version: "1";
  tenant_id: string;
  request_id: string;
  trace_id?: string;
  run_id?: string;
  task?: Task;
  message?: {
    message_id?: string;
    message_type?: string;
    payload?: unknown;
    metadata?: Record<string, unknown>;
  };
  policy_id?: string;
  context?: Record<string, unknown>;
}

export interface Decision {
  provider_id: string;
  priority: number;
  expected_latency_ms: number;
  expected_cost: number;
  reason: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  intake_error_code: string | null;
  details?: Record<string, unknown>;
}

export interface ReplyContext {
  request_id?: string;
  trace_id?: string;
  tenant_id?: string;
}

export type RouterReply =
  | { ok: true; decision: Decision; context: ReplyContext }
  | { ok: false; error: ErrorBody; context: ReplyContext };

export interface BackpressureStatus {
  status: "ok" | "warning" | "active";
  pending: number;
  inflight: number;
  latency_p95_ms: number;
  retry_after_s: number;
}

/** Fault-injection command on `beamline.router.control.v1.faults` (router must enable it by config). */
export interface FaultSpec {
  /** Tenant the fault applies to; omitted = all tenants. */
  tenant_id?: string;
  delay_ms?: number;
  /**
   * Hold each decide reply until the faults change (any fault command releases them), so a test can
   * keep requests in flight for exactly as long as it needs; `delay_ms` caps the hold (default 60 s).
   */
  hold?: boolean;
  error_code?: string;
  error_message?: string;
  intake_error_code?: string;
  /** Share of requests (0..1) that get `error_code`; default 1 when error_code is set. */
  error_rate?: number;
  /** Share of requests (0..1) whose reply is dropped. */
  drop_rate?: number;
  /** Reply with this raw (non-JSON) text instead of a decision. */
  raw_reply?: string;
  /** Force the backpressure status (for scenario 5). */
  backpressure?: "ok" | "warning" | "active";
  /** Providers that fail when chosen (drives the circuit breakers). */
  fail_providers?: string[];
  /** Clear all faults. */
  clear?: boolean;
}

/**
 * The intake subject for one message: `beamline.router.v1.intake.<base64url(message_id)>`. Encoding the
 * id into the subject lets the router find an accepted-but-undecided message (status `pending`) with a
 * direct last-by-subject lookup, and keeps arbitrary ids from breaking subject syntax.
 */
export function intakeSubject(messageId: string): string {
  return `${SUBJECTS.intakePrefix}.${Buffer.from(messageId, "utf8").toString("base64url")}`;
}

/** How long JetStream remembers a `Nats-Msg-Id` for de-duplication. */
export const INTAKE_DUPLICATE_WINDOW_MS = 2 * 60 * 1000;
