// The decide logic shared by the synchronous endpoint and the durable consumer: intake validation,
// idempotency (synchronous path only; the durable path is idempotent by message id), then policy
// selection with breakers and fallback. It is synchronous on purpose: no awaits on the hot path.
import { INTAKE_CODES, type IntakeCode, type ReplyContext, type RouterReply } from "../../common/contract";
import type { FaultRegistry } from "./faults";
import { fingerprint, IdempotencyCache } from "./idempotency";
import type { Outcome } from "./metrics";
import type { Selector } from "./policy";
import { errorReply, okReply } from "./replies";
import { validateIntake, type IntakeHeaders, type ValidationOptions } from "./validation";

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
}

export class DecideEngine {
  constructor(
    private readonly selector: Selector,
    private readonly idempotency: IdempotencyCache,
    private readonly faults: FaultRegistry,
    private readonly validation: ValidationOptions,
  ) {}

  /**
   * Validates and decides one request. `sync` = the request/reply path: request_id idempotency and
   * the reply-shaping faults (delay, error, drop, raw reply) apply. Failing providers apply to both.
   */
  evaluate(data: Uint8Array, headers: IntakeHeaders, sync: boolean): Evaluation {
    const v = validateIntake(data, headers, this.validation);
    if (!v.ok) {
      const { code, message, details, context } = v.error;
      return {
        reply: errorReply(INTAKE_CODES[code], message, context, code, details),
        outcome: "rejected",
        provider: "none",
        intakeCode: code,
        tenantId: context.tenant_id,
      };
    }
    const { req, tenantId, requestId, traceId } = v.value;
    const context: ReplyContext = { request_id: requestId, trace_id: traceId, tenant_id: tenantId };
    if (traceId === undefined) delete context.trace_id;

    // Delay and hold faults apply to whatever the reply turns out to be.
    let pause: Pick<Evaluation, "delayMs" | "hold"> = {};
    if (sync && !this.faults.empty) {
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

    let key: string | undefined;
    let fp: string | undefined;
    if (sync) {
      key = IdempotencyCache.key(tenantId, requestId);
      fp = fingerprint(req);
      const seen = this.idempotency.check(key, fp);
      if (seen.kind === "hit") {
        return {
          reply: okReply(seen.decision, context),
          outcome: "cached",
          provider: seen.decision.provider_id,
          tenantId,
          ...pause,
        };
      }
      if (seen.kind === "violation") {
        return {
          reply: errorReply(
            INTAKE_CODES.IDEMPOTENCY_VIOLATION,
            `request_id ${JSON.stringify(requestId)} was already used with different content ${Date.now() - seen.firstSeenMs} ms ago`,
            context,
            "IDEMPOTENCY_VIOLATION",
            { field: "request_id" },
          ),
          outcome: "rejected",
          provider: "none",
          intakeCode: "IDEMPOTENCY_VIOLATION",
          tenantId,
          ...pause,
        };
      }
    }

    const faults = this.faults;
    const r = this.selector.select(tenantId, req.policy_id, (p) => faults.providerFails(tenantId, p));
    if (!r.ok) {
      return {
        reply: errorReply(r.code, r.message, context, null, r.details),
        outcome: r.code === "decision_failed" ? "failed" : "error",
        provider: "none",
        tenantId,
        ...pause,
      };
    }
    if (key !== undefined && fp !== undefined) this.idempotency.remember(key, fp, r.decision);
    return {
      reply: okReply(r.decision, context),
      outcome: r.fallback ? "fallback" : "success",
      provider: r.provider,
      tenantId,
      ...pause,
    };
  }
}
