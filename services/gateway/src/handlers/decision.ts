// GET /api/v1/routes/decide/{message_id}: the decision a router stored for a durable message (200), or
// 202 while it is pending, asked of the router over NATS. Contract section 1.
import { headers as natsHeaders } from "nats";
import { SUBJECTS } from "../../../common/contract";
import { gatewayError, mapRouterReply } from "../errors";
import { sendRaw } from "../http-io";
import { ApiCall, GatewayState, needLink } from "../state";
import { headerId } from "../validate";
import { admit } from "./admission";
import { natsFailure } from "./nats-failure";

const enc = new TextEncoder();

/** `rawId`: the path segment after the route's prefix, still percent-encoded. */
export async function getDecision(s: GatewayState, call: ApiCall, rawId: string): Promise<void> {
  const { cfg, metrics } = s;
  const { req, res, ctx, rl } = call;
  admit(s, req, ctx, cfg.tenantTokens.size > 0, rl);
  const link = needLink(s);
  let id: string;
  try {
    id = decodeURIComponent(rawId);
  } catch {
    throw gatewayError("invalid_request", "message id is not valid percent-encoding", {
      field: "message_id",
    });
  }
  if (id === "" || id.length > 256) {
    throw gatewayError("invalid_request", "message id must be 1 to 256 characters", {
      field: "message_id",
    });
  }
  const h = natsHeaders();
  if (ctx.tenant_id) h.set("X-Tenant-ID", ctx.tenant_id);
  const traceId = headerId(req.headers["x-trace-id"], "X-Trace-ID");
  if (traceId) {
    ctx.trace_id = traceId;
    h.set("X-Trace-ID", traceId);
  }
  let raw: Uint8Array;
  try {
    const msg = await link.request(
      SUBJECTS.getDecision,
      enc.encode(JSON.stringify({ message_id: id })),
      cfg.routerRequestTimeoutMs,
      h,
    );
    raw = msg.data;
  } catch (e) {
    throw natsFailure(s, e, "router");
  }
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
  const mapped = mapRouterReply(text);
  if (mapped.kind === "error") {
    if (mapped.error.code === "bad_gateway" && mapped.error.details.router_code === "not_found") {
      metrics.natsOutcome("error_reply");
      throw gatewayError("not_found", `no message ${JSON.stringify(id)} is known`, { message_id: id });
    }
    metrics.natsOutcome(mapped.error.code === "bad_gateway" ? "bad_reply" : "error_reply");
    throw mapped.error;
  }
  metrics.natsOutcome("ok");
  const pending = (mapped.body as { status?: unknown }).status === "pending";
  sendRaw(res, pending ? 202 : 200, raw, rl);
}
