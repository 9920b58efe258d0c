// A failed NATS request or JetStream publish as the HTTP error the client gets (503 when nothing was
// sent or nobody listens, 504 on a timeout), counted by outcome in the gateway's metrics.
import { gatewayError, HttpError } from "../errors";
import { Disconnected, isNoResponders, isTimeout } from "../nats-link";
import type { GatewayState } from "../state";

/** `what` names the party that did not answer in the message ("router", "JetStream"). */
export function natsFailure(s: GatewayState, e: unknown, what: string): HttpError {
  const { metrics, cfg } = s;
  if (e instanceof HttpError) return e;
  if (e instanceof Disconnected) {
    metrics.natsOutcome("disconnected");
    return gatewayError("unavailable", "NATS is disconnected", {}, { "retry-after": "1" });
  }
  if (isNoResponders(e)) {
    metrics.natsOutcome("no_responders");
    return gatewayError("unavailable", `no ${what} is listening`, {}, { "retry-after": "1" });
  }
  if (isTimeout(e)) {
    metrics.natsOutcome("timeout");
    return gatewayError("timeout", `${what} did not answer within ${cfg.routerRequestTimeoutMs} ms`, {
      timeout_ms: cfg.routerRequestTimeoutMs,
    });
  }
  metrics.natsOutcome("disconnected");
  return gatewayError(
    "unavailable",
    `NATS request failed: ${(e as Error).message}`,
    {},
    { "retry-after": "1" },
  );
}
