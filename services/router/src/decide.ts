// The decide logic shared by the synchronous endpoint and the durable consumer: intake validation,
// idempotency (synchronous path only; the durable path is idempotent by message id), then policy
// selection with breakers and fallback. Everything up to the idempotency store is synchronous; only a
// request the in-process cache cannot answer waits for the shared store (idempotency.ts).
import {
  INTAKE_CODES,
  type Decision,
  type IntakeCode,
  type ReplyContext,
  type RouterReply,
} from "../../common/contract";
import type { FaultRegistry } from "./faults";
import {
  fingerprint,
  idempotencyKey,
  type Idempotency,
  type IdempotencyReplay,
  type Origin,
} from "./idempotency";
import type { Outcome } from "./metrics";
import type { Selector } from "./policy";
import { errorReply, okReply } from "./replies";
import { validateIntake, type IntakeFailure, type IntakeHeaders, type ValidationOptions } from "./validation";

// Placeholder for evaluations that reply with raw text or not at all.
const NO_REPLY: RouterReply = errorReply("internal", "no reply", {});

export interface Evaluation {
  reply: RouterReply;
  /** Fault injection: reply with this raw text instead of `reply`. */
  raw?: string;
  /** Fault injection: send no reply at all. */
  drop?: boolean;
  /** Fault injection: reply after this many milliseconds. */
  delayMs?: number;
  /** Fault injection: hold the reply until the faults change (`delayMs` caps the hold). */
  hold?: boolean;
  outcome: Outcome;
  provider: string;
  /** Set for intake rejections (router_intake_errors_total). */
  intakeCode?: IntakeCode;
  tenantId?: string;
  /** Answered from an idempotency record (router_idempotency_replays_total). */
  replay?: { result: "same" | "violation"; origin: Origin };
  /** The idempotency store could not answer (router_idempotency_store_errors_total). */
  storeError?: Error;
}

type Pause = Pick<Evaluation, "delayMs" | "hold">;

export class DecideEngine {
  constructor(
    private readonly selector: Selector,
    private readonly idempotency: Idempotency,
    private readonly faults: FaultRegistry,
    private readonly validation: ValidationOptions,
  ) {}

  /** The durable path: validation and selection (failing providers apply), no request_id idempotency. */
  evaluate(data: Uint8Array, headers: IntakeHeaders): Evaluation {
    const v = validateIntake(data, headers, this.validation);
    if (!v.ok) return rejected(v.error);
    const { req, tenantId, requestId, traceId } = v.value;
    return this.select(req.policy_id, tenantId, replyContext(requestId, tenantId, traceId), {}).ev;
  }

  /**
   * The request/reply path: validation, the reply-shaping faults (delay, error, drop, raw reply),
   * request_id idempotency, selection. Synchronous when the answer needs no store round trip (intake
   * errors, faults, repeats the cache knows); a promise otherwise. Never rejects.
   */
  decide(data: Uint8Array, headers: IntakeHeaders): Evaluation | Promise<Evaluation> {
    const v = validateIntake(data, headers, this.validation);
    if (!v.ok) return rejected(v.error);
    const { req, tenantId, requestId, traceId } = v.value;
    const context = replyContext(requestId, tenantId, traceId);

    // Delay and hold faults apply to whatever the reply turns out to be.
    let pause: Pause = {};
    if (!this.faults.empty) {
      const spec = this.faults.forTenant(tenantId);
      if (spec) {
        pause = { delayMs: spec.delay_ms, hold: spec.hold };
        const roll = this.faults.roll(spec);
        const base = { provider: "none", tenantId, ...pause, outcome: "fault" as const };
        if (roll.drop) return { ...base, reply: NO_REPLY, drop: true, outcome: "dropped" };
        if (spec.raw_reply !== undefined) return { ...base, reply: NO_REPLY, raw: spec.raw_reply };
        if (roll.error) {
          const code = spec.error_code!;
          const message = spec.error_message ?? `injected fault: ${code}`;
          return {
            ...base,
            reply: errorReply(code, message, context, spec.intake_error_code ?? null, { injected: true }),
          };
        }
      }
    }

    const key = idempotencyKey(tenantId, requestId);
    const fp = fingerprint(req);
    const seen = this.idempotency.cached(key, fp);
    if (seen.kind !== "miss") return replayed(seen, requestId, tenantId, context, pause);

    // Not known here: decide, then record the decision as the first one with an atomic create in the
    // shared store, or answer from the record another router (or an earlier request) stored first.
    // The reply waits for the store: answering before the record exists could hand two routers'
    // different decisions (or a decision and a violation) to the same request_id.
    const sel = this.select(req.policy_id, tenantId, context, pause);
    const unavailable = (e: unknown): Evaluation => storeUnavailable(e, tenantId, context, pause);
    if (!sel.decision) {
      // Only successful decisions are recorded (a retry after decision_failed may succeed), but a
      // request_id already used with different content is still a violation.
      return this.idempotency
        .find(key, fp)
        .then(
          (r) => (r.kind === "miss" ? sel.ev : replayed(r, requestId, tenantId, context, pause)),
          unavailable,
        );
    }
    return this.idempotency
      .claim(key, fp, sel.decision)
      .then(
        (r) => (r.kind === "stored" ? sel.ev : replayed(r, requestId, tenantId, context, pause)),
        unavailable,
      );
  }

  private select(
    policyId: string | undefined,
    tenantId: string,
    context: ReplyContext,
    pause: Pause,
  ): { ev: Evaluation; decision?: Decision } {
    const faults = this.faults;
    const r = this.selector.select(tenantId, policyId, (p) => faults.providerFails(tenantId, p));
    if (!r.ok) {
      return {
        ev: {
          reply: errorReply(r.code, r.message, context, null, r.details),
          outcome: r.code === "decision_failed" ? "failed" : "error",
          provider: "none",
          tenantId,
          ...pause,
        },
      };
    }
    return {
      decision: r.decision,
      ev: {
        reply: okReply(r.decision, context),
        outcome: r.fallback ? "fallback" : "success",
        provider: r.provider,
        tenantId,
        ...pause,
      },
    };
  }
}

function replyContext(requestId: string, tenantId: string, traceId: string | undefined): ReplyContext {
  const context: ReplyContext = { request_id: requestId, trace_id: traceId, tenant_id: tenantId };
  if (traceId === undefined) delete context.trace_id;
  return context;
}

function rejected(error: IntakeFailure): Evaluation {
  const { code, message, details, context } = error;
  return {
    reply: errorReply(INTAKE_CODES[code], message, context, code, details),
    outcome: "rejected",
    provider: "none",
    intakeCode: code,
    tenantId: context.tenant_id,
  };
}

function replayed(
  seen: IdempotencyReplay,
  requestId: string,
  tenantId: string,
  context: ReplyContext,
  pause: Pause,
): Evaluation {
  if (seen.kind === "hit") {
    return {
      reply: okReply(seen.decision, context),
      outcome: "cached",
      provider: seen.decision.provider_id,
      tenantId,
      replay: { result: "same", origin: seen.origin },
      ...pause,
    };
  }
  const ago = Math.max(0, Date.now() - seen.firstSeenMs);
  return {
    reply: errorReply(
      INTAKE_CODES.IDEMPOTENCY_VIOLATION,
      `request_id ${JSON.stringify(requestId)} was already used with different content ${ago} ms ago`,
      context,
      "IDEMPOTENCY_VIOLATION",
      { field: "request_id" },
    ),
    outcome: "rejected",
    provider: "none",
    intakeCode: "IDEMPOTENCY_VIOLATION",
    tenantId,
    replay: { result: "violation", origin: seen.origin },
    ...pause,
  };
}

/**
 * The store cannot say whether this request_id was used before: answering with a fresh decision could
 * contradict the first one, so the request is refused as retryable (503 at the gateway) instead.
 */
function storeUnavailable(e: unknown, tenantId: string, context: ReplyContext, pause: Pause): Evaluation {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    reply: errorReply(
      "extension_unavailable",
      `idempotency store unavailable: ${err.message}`,
      context,
      null,
      { retryable: true },
    ),
    outcome: "error",
    provider: "none",
    tenantId,
    storeError: err,
    ...pause,
  };
}
