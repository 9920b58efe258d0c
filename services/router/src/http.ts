// The router's HTTP side: /metrics (Prometheus text), /health (liveness) and /ready (NATS connected
// and JetStream reachable; 503 with the failing checks otherwise).
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { HTTP_ROUTES } from "../../common/service-contract";

export interface ReadinessCheck {
  name: string;
  /** Resolves to undefined when fine, else a short reason. */
  check(): Promise<string | undefined>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

export async function startHttp(
  host: string,
  port: number,
  registry: Registry,
  checks: ReadinessCheck[],
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendJson(res, 405, { ok: false, error: { code: "method_not_allowed", message: "use GET" } });
    }
    if (path === HTTP_ROUTES.health)
      return sendJson(res, 200, { status: "healthy", timestamp: new Date().toISOString() });
    if (path === HTTP_ROUTES.metrics) {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (e) => sendJson(res, 500, { ok: false, error: { code: "internal", message: String(e) } }),
      );
      return;
    }
    if (path === HTTP_ROUTES.ready) {
      Promise.all(
        checks.map(async (c) => ({ name: c.name, problem: await c.check().catch((e) => String(e)) })),
      ).then((results) => {
        const failing = results.filter((r) => r.problem !== undefined);
        const body = {
          status: failing.length ? "not_ready" : "ready",
          checks: Object.fromEntries(results.map((r) => [r.name, r.problem ?? "ok"])),
          timestamp: new Date().toISOString(),
        };
        sendJson(res, failing.length ? 503 : 200, body);
      });
      return;
    }
    sendJson(res, 404, { ok: false, error: { code: "not_found", message: `no route ${path}` } });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
