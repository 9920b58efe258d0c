// POST /api/v1/routes/decide: a synchronous decision, asked of the router over NATS request/reply
// (queue group "router") and returned as the router sent it. Contract section 1.
import { SUBJECTS } from "../../../common/contract";
import { gatewayError, isOkReply, mapRouterReply } from "../errors";
import { sendRaw } from "../http-io";
import type { ApiCall, GatewayState } from "../state";
import { admitPost, readRouteRequest } from "./admission";
import { natsFailure } from "./nats-failure";

const enc = new TextEncoder();

export async function decide(s: GatewayState, call: ApiCall): Promise<void> {
  const { cfg, metrics } = s;
  const { req, res, ctx, rl } = call;
  const { tenant, link } = admitPost(s, call);
  const retryAfter = link.backpressureActive();
  if (retryAfter !== undefined) {
    throw gatewayError(
      "service_overloaded",
      "router signals backpressure",
      { backpressure: "active" },
      { "retry-after": String(retryAfter) },
    );
  }
  const { rr, h } = await readRouteRequest(s, req, ctx, tenant);
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
    throw natsFailure(s, e, "router");
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
