// What the gateway's handlers share for its lifetime: config, logger, metrics, the rate limiter, the
// NATS link once connected, the count of API requests in flight and whether shutdown has begun.
// startGateway (app.ts) creates one and hands it to every handler.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ReplyContext } from "../../common/contract";
import type { Logger } from "../../common/log";
import type { GatewayConfig } from "./config";
import { gatewayError } from "./errors";
import type { GatewayMetrics } from "./metrics";
import type { NatsLink } from "./nats-link";
import type { RateLimiter } from "./rate-limiter";

export interface GatewayState {
  readonly cfg: GatewayConfig;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly limiter: RateLimiter;
  /**
   * Set once the first NATS connection is up. HTTP listens before that (the connection waits for a server
   * that may not be up yet): /health answers meanwhile, /ready and the API answer 503.
   */
  nats: NatsLink | undefined;
  /** API requests in flight (decide, messages, decision lookups). */
  inflight: number;
  shuttingDown: boolean;
  /** Called when `inflight` drops to 0 while stop() waits for the drain. */
  drained: (() => void) | undefined;
}

/**
 * One API request on its way through a handler: the request and response, the reply context the error
 * envelope reads (tenant, trace and request ids as they become known) and the rate-limit headers every
 * answer carries.
 */
export interface ApiCall {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: ReplyContext;
  rl: Record<string, string>;
}

/** The NATS link, or 503 with Retry-After while it is not connected yet. */
export function needLink(s: GatewayState): NatsLink {
  if (!s.nats) throw gatewayError("unavailable", "NATS is not connected yet", {}, { "retry-after": "1" });
  return s.nats;
}
