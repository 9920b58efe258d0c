// The operational endpoints: GET /health (the process answers), /ready (NATS, JetStream and the intake
// stream reachable, not shutting down), /metrics (Prometheus text) and /_metrics (a JSON summary).
import type { ServerResponse } from "node:http";
import { gatewayError } from "../errors";
import { sendJson, sendRaw } from "../http-io";
import type { GatewayState } from "../state";

export function health(res: ServerResponse): void {
  sendJson(res, 200, { status: "healthy", timestamp: new Date().toISOString() });
}

export async function ready(s: GatewayState, res: ServerResponse): Promise<void> {
  const link = s.nats;
  const checks = {
    nats: !!link?.connected,
    jetstream: !!link && (await link.jetstreamReachable()),
    intake_stream: !!link?.streamReady,
    accepting: !s.shuttingDown,
  };
  if (link && checks.jetstream && !checks.intake_stream) void link.ensureStream();
  const failing = Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([k]) => k);
  if (failing.length === 0) {
    sendJson(res, 200, { status: "ready", checks });
    return;
  }
  throw gatewayError(
    "unavailable",
    `not ready: ${failing.join(", ")}`,
    { checks, failing },
    { "retry-after": "1" },
  );
}

export async function prometheusMetrics(s: GatewayState, res: ServerResponse): Promise<void> {
  sendRaw(res, 200, await s.metrics.registry.metrics(), undefined, s.metrics.registry.contentType);
}

export function metricsSummary(s: GatewayState, res: ServerResponse): void {
  const nats = s.nats;
  sendJson(res, 200, {
    ...s.metrics.summary(),
    inflight: s.inflight,
    nats: {
      connected: !!nats?.connected,
      server: nats?.connected ? nats.nc.getServer() : null,
      reconnects: nats?.reconnects ?? 0,
      backpressure_active: nats?.backpressureActive() !== undefined,
    },
  });
}
