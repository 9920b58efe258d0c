// The Beamline gateway: HTTP (node:http) in front of the router on NATS. Contract section 1.
// startGateway wires the parts: the shared state (state.ts), the HTTP server handing each request to
// dispatch.ts (route table, error envelope, request metrics; the handlers live in handlers/), the NATS
// link, and the drain on stop().
import http from "node:http";
import { AddressInfo } from "node:net";
import type { MsgHdrs } from "nats";
import type { RouteRequest } from "../../common/contract";
import { createLogger, Logger } from "../../common/log";
import { GatewayConfig, loadGatewayConfig } from "./config";
import { handle } from "./dispatch";
import { envelope, HttpError } from "./errors";
import { GatewayMetrics } from "./metrics";
import { NatsLink } from "./nats-link";
import { RateLimiter } from "./rate-limiter";
import { GatewayState, needLink } from "./state";

export { loadGatewayConfig };
export type { GatewayConfig };

export interface RunningGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Internals for leak tests: requests in flight and pending NATS request bookkeeping. */
  debugStats(): { inflight: number; linkWaiters: number; natsMuxPending: number; natsSubscriptions: number };
}

export async function startGateway(
  cfg: GatewayConfig,
  log: Logger = createLogger("gateway", cfg.logLevel),
): Promise<RunningGateway> {
  const metrics = new GatewayMetrics(cfg.metricsTenants);
  const s: GatewayState = {
    cfg,
    log,
    metrics,
    limiter: new RateLimiter(cfg.rateLimitRps, cfg.rateLimitBurst),
    nats: undefined,
    inflight: 0,
    shuttingDown: false,
    drained: undefined,
  };
  const sweep = setInterval(() => s.limiter.sweep(), 10000);
  sweep.unref();
  metrics.trackInflight(() => s.inflight);

  const server = http.createServer(
    {
      headersTimeout: cfg.headersTimeoutMs,
      requestTimeout: cfg.httpRequestTimeoutMs,
      keepAliveTimeout: cfg.keepAliveTimeoutMs,
      // How often node checks the two timeouts above (default 30 s would let slow clients linger).
      connectionsCheckingInterval: Math.min(1000, cfg.headersTimeoutMs),
      noDelay: true,
    },
    (req, res) => {
      if (s.shuttingDown) res.setHeader("connection", "close");
      handle(s, req, res).catch((e) => log.error("handler crashed", { err: e as Error }));
    },
  );
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP or a timed-out slow client: answer 400/408 when still possible, then close.
    if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
      const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
      const code = status === 408 ? "timeout" : "invalid_request";
      const body = JSON.stringify(
        envelope(
          new HttpError(
            status,
            code,
            status === 408 ? "request not completed in time" : "malformed HTTP request",
          ),
          {},
        ),
      );
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = cfg.host === "0.0.0.0" || cfg.host === "::" ? "127.0.0.1" : cfg.host;
  log.info("gateway listening", { host: cfg.host, port });
  try {
    s.nats = await NatsLink.open(cfg.nats, log, metrics);
  } catch (e) {
    server.closeAllConnections();
    server.close();
    clearInterval(sweep);
    throw e;
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    s.shuttingDown = true;
    log.info("gateway shutting down", { inflight: s.inflight, grace_ms: cfg.shutdownGraceMs });
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    if (s.inflight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, cfg.shutdownGraceMs);
        s.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (s.inflight > 0) log.warn("grace period over with requests in flight", { inflight: s.inflight });
    server.closeAllConnections();
    await closed;
    clearInterval(sweep);
    await s.nats?.close();
    log.info("gateway stopped");
  }

  return {
    port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    stop: () => (stopping ??= stop()),
    debugStats: () => {
      const proto = (
        needLink(s).nc as unknown as {
          protocol: { muxSubscriptions: { reqs: Map<string, unknown> }; subscriptions: { size(): number } };
        }
      ).protocol;
      return {
        inflight: s.inflight,
        linkWaiters: s.nats?.pendingWaiters ?? 0,
        natsMuxPending: proto.muxSubscriptions.reqs.size,
        natsSubscriptions: proto.subscriptions.size(),
      };
    },
  };
}

export type { RouteRequest, MsgHdrs };
