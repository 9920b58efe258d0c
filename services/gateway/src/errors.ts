// The one error envelope every non-2xx answer uses, and the mapping of router replies onto HTTP.
import { GATEWAY_ERRORS, GatewayErrorCode, ROUTER_ERROR_STATUS, ReplyContext } from "../../common/contract";

export interface ErrorEnvelope {
  ok: false;
  error: {
    code: string;
    message: string;
    intake_error_code: string | null;
    details: Record<string, unknown>;
  };
  context: { request_id: string | null; trace_id: string | null; tenant_id: string | null };
}

/** A failure to answer with `status` and the envelope; `headers` carry e.g. Retry-After. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    readonly intakeErrorCode: string | null = null,
  ) {
    super(message);
  }
}

export function gatewayError(
  code: GatewayErrorCode,
  message: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpError {
  return new HttpError(GATEWAY_ERRORS[code], code, message, details, headers);
}

export function envelope(err: HttpError, ctx: ReplyContext): ErrorEnvelope {
  return {
    ok: false,
    error: {
      code: err.code,
      message: err.message,
      intake_error_code: err.intakeErrorCode,
      details: err.details,
    },
    context: {
      request_id: ctx.request_id ?? null,
      trace_id: ctx.trace_id ?? null,
      tenant_id: ctx.tenant_id ?? null,
    },
  };
}

const OK_PREFIX = Buffer.from('{"ok":true,');

/**
 * True when a router reply is a success as the router writes it (JSON.stringify of `{ok:true,...}`):
 * the decide path then forwards the bytes without decoding and parsing them (the full parse showed up
 * in the gateway's profile). Anything else goes through mapRouterReply.
 */
export function isOkReply(raw: Uint8Array): boolean {
  const n = OK_PREFIX.length;
  if (raw.length <= n || raw[raw.length - 1] !== 0x7d) return false;
  for (let i = 0; i < n; i++) if (raw[i] !== OK_PREFIX[i]) return false;
  return true;
}

export type MappedReply = { kind: "ok"; status: number; body: unknown } | { kind: "error"; error: HttpError };

/**
 * Maps a router reply (raw bytes) to the HTTP answer. Non-JSON, a shape that is neither success nor
 * error, and error codes outside the contract all become 502 bad_gateway (the original answered 200).
 */
export function mapRouterReply(raw: string): MappedReply {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { kind: "error", error: gatewayError("bad_gateway", "router reply is not JSON") };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { kind: "error", error: gatewayError("bad_gateway", "router reply is not a JSON object") };
  }
  const b = body as Record<string, unknown>;
  if (b.ok === true) return { kind: "ok", status: 200, body };
  if (b.ok === false && typeof b.error === "object" && b.error !== null) {
    const e = b.error as Record<string, unknown>;
    const code = typeof e.code === "string" ? e.code : "";
    const message = typeof e.message === "string" ? e.message : "";
    const intake = typeof e.intake_error_code === "string" ? e.intake_error_code : null;
    const details =
      typeof e.details === "object" && e.details !== null && !Array.isArray(e.details)
        ? (e.details as Record<string, unknown>)
        : {};
    const status = Object.prototype.hasOwnProperty.call(ROUTER_ERROR_STATUS, code)
      ? ROUTER_ERROR_STATUS[code]
      : undefined;
    if (status === undefined) {
      return {
        kind: "error",
        error: new HttpError(
          502,
          "bad_gateway",
          `router answered with an unknown error code${message ? `: ${message}` : ""}`,
          { router_code: code.slice(0, 100) },
          {},
          intake,
        ),
      };
    }
    return { kind: "error", error: new HttpError(status, code, message || code, details, {}, intake) };
  }
  return {
    kind: "error",
    error: gatewayError("bad_gateway", "router reply has neither ok:true nor an error"),
  };
}
