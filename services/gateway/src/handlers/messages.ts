// POST /api/v1/messages: durable intake. The request is published to JetStream (BEAMLINE_INTAKE, with
// the message id as Nats-Msg-Id so a retry is de-duplicated) and answered 202 once stored; a router's
// durable consumer decides it later. Contract section 1.
import { intakeSubject } from "../../../common/contract";
import { gatewayError } from "../errors";
import { sendJson } from "../http-io";
import { Disconnected, isNoResponders, isTimeout, SentThenDisconnected } from "../nats-link";
import type { ApiCall, GatewayState } from "../state";
import { admitPost, readRouteRequest } from "./admission";
import { natsFailure } from "./nats-failure";

const enc = new TextEncoder();

export async function intake(s: GatewayState, call: ApiCall): Promise<void> {
  const { cfg, metrics } = s;
  const { req, res, ctx, rl } = call;
  const { tenant, link } = admitPost(s, call);
  const { rr, h, idempotencyKey } = await readRouteRequest(s, req, ctx, tenant);
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
    const err = e instanceof Disconnected ? natsFailure(s, e, "JetStream") : undefined;
    if (!err) metrics.natsOutcome("js_error");
    throw (
      err ??
      gatewayError(
        "unavailable",
        `JetStream did not acknowledge the message: ${(e as Error).message}`,
        {},
        { "retry-after": "1" },
      )
    );
  }
  metrics.natsOutcome(ack.duplicate ? "js_duplicate" : "js_ok");
  sendJson(res, 202, { ok: true, message_id: id, stream_seq: ack.seq, duplicate: ack.duplicate }, rl);
}
