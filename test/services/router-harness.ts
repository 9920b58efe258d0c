// Shared setup for the router suites: an in-process router (startRouter) on an ephemeral metrics port
// against a real nats-server, and a small NATS client for requests.
import { connect, headers as natsHeaders, type NatsConnection } from "nats";
import { createLogger } from "../../services/common/log";
import {
  loadRouterConfig,
  startRouter,
  type RouterHandle,
  type RouterHooks,
} from "../../services/router/src/app";
import type { NatsServer } from "../../tooling/local/nats-server";

export const quietRouterLog = createLogger(
  "router-test",
  (process.env.ROUTER_TEST_LOG as "debug") ?? "error",
);

export async function startTestRouter(
  nats: NatsServer,
  env: Record<string, string> = {},
  hooks: RouterHooks = {},
): Promise<RouterHandle> {
  const cfg = loadRouterConfig({
    NATS_URL: nats.url,
    ROUTER_METRICS_HOST: "127.0.0.1",
    ROUTER_METRICS_PORT: "0",
    LOG_LEVEL: process.env.ROUTER_TEST_LOG ?? "error",
    NATS_RECONNECT_WAIT_MS: "100",
    NATS_RECONNECT_JITTER_MS: "50",
    ROUTER_DURABLE_BACKOFF_MS: "200,500",
    ...env,
  });
  return startRouter(cfg, quietRouterLog, hooks);
}

export async function client(nats: NatsServer): Promise<NatsConnection> {
  return connect({ servers: nats.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
}

/** Sends raw bytes (string) or a JSON value and returns the parsed JSON reply. */
export async function ask(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  hdrs: Record<string, string> = {},
  timeout = 3000,
): Promise<any> {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
  const data = typeof body === "string" ? body : JSON.stringify(body);
  const msg = await nc.request(subject, Buffer.from(data), {
    timeout,
    headers: Object.keys(hdrs).length ? h : undefined,
  });
  return JSON.parse(Buffer.from(msg.data).toString("utf8"));
}

export const C_GATEWAY_PAYLOAD = '{"version":"1","tenant_id":"tenant-a","request_id":"req-1","message":{}}';

let seq = 0;
/** A valid RouteRequest with a unique request id. */
export function routeRequest(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "1",
    tenant_id: "tenant-a",
    request_id: `req-${process.pid}-${++seq}`,
    message: {},
    ...extra,
  };
}
