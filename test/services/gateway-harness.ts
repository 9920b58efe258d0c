// Shared setup for the gateway suites: a gateway started in-process on an ephemeral port against a real
// nats-server, a stub router that answers whatever the test wants, and a small HTTP client.
import http from "node:http";
import { connect, Msg, NatsConnection, Subscription } from "nats";
import { SUBJECTS } from "../../services/common/contract";
import { createLogger } from "../../services/common/log";
import { loadGatewayConfig, RunningGateway, startGateway } from "../../services/gateway/src/app";
import type { NatsServer } from "../../tooling/local/nats-server";
import { waitFor } from "../../tooling/local/wait";

export const quietLog = createLogger("gateway-test", "error");

export async function startTestGateway(
  nats: NatsServer,
  env: Record<string, string> = {},
): Promise<RunningGateway> {
  const cfg = loadGatewayConfig({
    NATS_URL: nats.url,
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: "0",
    LOG_LEVEL: "error",
    NATS_RECONNECT_WAIT_MS: "100",
    NATS_RECONNECT_JITTER_MS: "50",
    ...env,
  });
  return startGateway(cfg, quietLog);
}

/**
 * Waits for /ready 200: the gateway creates the intake stream after it connects, and a durable
 * publish before that is answered 503 (right, but not what a test of the happy path is about).
 */
export async function gatewayReady(gw: RunningGateway): Promise<void> {
  await waitFor("gateway ready", async () => (await call(`${gw.url}/ready`)).status === 200);
}

export interface Seen {
  data: Record<string, unknown>;
  headers: Record<string, string>;
  subject: string;
}

/**
 * A stub router on `subject` (decide by default): `reply` returns the raw reply text, an object to
 * JSON-encode, or undefined to stay silent (the gateway then times out).
 */
export function stubRouter(
  nc: NatsConnection,
  reply: (req: Record<string, unknown>, msg: Msg) => unknown,
  subject: string = SUBJECTS.decide,
): { sub: Subscription; seen: Seen[] } {
  const seen: Seen[] = [];
  const sub = nc.subscribe(subject, {
    queue: "router",
    callback: (_err, msg) => {
      const data = JSON.parse(msg.string()) as Record<string, unknown>;
      const headers: Record<string, string> = {};
      if (msg.headers) for (const [k, v] of msg.headers) headers[k] = v[0];
      seen.push({ data, headers, subject: msg.subject });
      const r = reply(data, msg);
      if (r === undefined) return;
      msg.respond(typeof r === "string" ? r : JSON.stringify(r));
    },
  });
  return { sub, seen };
}

export function okDecision(req: Record<string, unknown>) {
  return {
    ok: true,
    decision: {
      provider_id: "p1",
      priority: 1,
      expected_latency_ms: 10,
      expected_cost: 0.001,
      reason: "weighted",
    },
    context: { request_id: req.request_id, trace_id: req.trace_id },
  };
}

export async function natsClient(nats: NatsServer): Promise<NatsConnection> {
  return connect({ servers: nats.url });
}

export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  body: any;
}

export const validBody = (over: Record<string, unknown> = {}) => ({
  version: "1",
  tenant_id: "tenant-a",
  request_id: "req-1",
  task: { type: "text.generate", payload: { prompt: "hi" } },
  ...over,
});

/**
 * One HTTP request on its own connection (node:http, no pooling: concurrent calls must really be
 * concurrent at the gateway). JSON bodies are parsed; other bodies stay text.
 */
export function call(
  url: string,
  opts: { method?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const hasBody = opts.body !== undefined || opts.raw !== undefined;
  const payload = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? (hasBody ? "POST" : "GET"),
        agent: false,
        // JSON bodies get a JSON content type; raw bodies send exactly the headers given.
        headers: {
          ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // non-JSON (e.g. /metrics) stays text
          }
          const h = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            headers: { get: (n) => (h[n.toLowerCase()] === undefined ? null : String(h[n.toLowerCase()])) },
            body,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** POST a decide request as tenant-a. */
export function decide(
  gw: RunningGateway,
  body: unknown = validBody(),
  headers: Record<string, string> = {},
) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return call(`${gw.url}/api/v1/routes/decide`, { body, headers: { "x-tenant-id": "tenant-a", ...lower } });
}

/** Asserts the contract's error envelope and returns it. */
export function assertEnvelope(a: Answer, status: number, code: string): any {
  const b = a.body;
  const where = `${status} ${code}, got ${a.status} ${JSON.stringify(b)}`;
  if (a.status !== status) throw new Error(`expected ${where}`);
  if (!b || b.ok !== false || typeof b.error !== "object") throw new Error(`no envelope: ${where}`);
  if (b.error.code !== code) throw new Error(`wrong code: expected ${where}`);
  if (typeof b.error.message !== "string" || !b.error.message) throw new Error(`no message: ${where}`);
  if (!("intake_error_code" in b.error) || typeof b.error.details !== "object")
    throw new Error(`fields: ${where}`);
  for (const k of ["request_id", "trace_id", "tenant_id"]) {
    if (!(k in b.context)) throw new Error(`context.${k} missing: ${where}`);
  }
  return b;
}
