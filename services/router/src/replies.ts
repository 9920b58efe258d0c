// Reply envelopes of the contract: `{ok:true,decision,context}` and
// `{ok:false,error:{code,message,intake_error_code,details},context}`.
import type { Decision, ReplyContext, RouterReply } from "../../common/contract";

export function okReply(decision: Decision, context: ReplyContext): RouterReply {
  return { ok: true, decision, context };
}

export function errorReply(
  code: string,
  message: string,
  context: ReplyContext,
  intakeErrorCode: string | null = null,
  details: Record<string, unknown> = {},
): RouterReply {
  return { ok: false, error: { code, message, intake_error_code: intakeErrorCode, details }, context };
}

/** Encodes a reply for NATS. Buffer is a Uint8Array, so no extra copy or codec object per request. */
export function encode(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), "utf8");
}
