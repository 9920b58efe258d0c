// Gateway configuration from environment variables. Every value is validated and every error names the
// variable (EnvReader collects them all so an operator fixes the config in one pass).
import { EnvReader } from "../../common/env";
import type { Level } from "../../common/log";
import { readNatsSettings, NatsSettings } from "../../common/nats";

export interface GatewayConfig {
  nats: NatsSettings;
  host: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  routerRequestTimeoutMs: number;
  maxBodyBytes: number;
  /** Bound on POST/GET API requests being processed at once; beyond it → 503 service_overloaded. */
  maxInflight: number;
  /** Per-tenant token bucket; 0 = off. */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** tenant → bearer token; empty = no authentication. */
  tenantTokens: Map<string, string>;
  /** Tenants that may appear as a metric label; all others are counted as "other". */
  metricsTenants: string[];
  shutdownGraceMs: number;
  /** node:http limits so an idle or slow client cannot hold resources (see README). */
  headersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** How long an intake publish waits for the JetStream ack. */
  jetstreamTimeoutMs: number;
  logLevel: Level;
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const r = new EnvReader(env);
  const nats = readNatsSettings(r);
  const host = r.string("GATEWAY_HOST", "0.0.0.0");
  const port = r.int("GATEWAY_PORT", 8080, { min: 0, max: 65535 });
  const routerRequestTimeoutMs = r.int("ROUTER_REQUEST_TIMEOUT_MS", 5000, { min: 1, max: 600000 });
  const maxBodyBytes = r.int("GATEWAY_MAX_BODY_BYTES", 65536, { min: 64, max: 64 * 1024 * 1024 });
  const maxInflight = r.int("GATEWAY_MAX_INFLIGHT", 1024, { min: 1, max: 1000000 });
  const rateLimitRps = r.number("GATEWAY_RATE_LIMIT_RPS", 0, { min: 0, max: 1e7 });
  const rateLimitBurst = r.int("GATEWAY_RATE_LIMIT_BURST", Math.max(1, Math.ceil(rateLimitRps)), {
    min: 0,
    max: 1e7,
  });
  if (rateLimitRps > 0 && rateLimitBurst < 1) {
    r.problem("GATEWAY_RATE_LIMIT_BURST must be at least 1 when GATEWAY_RATE_LIMIT_RPS is set");
  }
  const tenantTokens = new Map<string, string>();
  for (const pair of r.list("GATEWAY_TENANT_TOKENS")) {
    const i = pair.indexOf(":");
    const tenant = i > 0 ? pair.slice(0, i).trim() : "";
    const token = i > 0 ? pair.slice(i + 1).trim() : "";
    if (!tenant || !token) {
      r.problem(
        `GATEWAY_TENANT_TOKENS must be a comma-separated list of tenant:token pairs, got an entry without tenant or token`,
      );
    } else if (tenantTokens.has(tenant)) {
      r.problem(`GATEWAY_TENANT_TOKENS lists tenant ${JSON.stringify(tenant)} twice`);
    } else {
      tenantTokens.set(tenant, token);
    }
  }
  const metricsTenants = r.list("GATEWAY_METRICS_TENANTS");
  const shutdownGraceMs = r.int("GATEWAY_SHUTDOWN_GRACE_MS", 10000, { min: 0, max: 600000 });
  const headersTimeoutMs = r.int("GATEWAY_HEADERS_TIMEOUT_MS", 10000, { min: 100, max: 600000 });
  const httpRequestTimeoutMs = r.int("GATEWAY_HTTP_REQUEST_TIMEOUT_MS", 30000, { min: 100, max: 3600000 });
  const keepAliveTimeoutMs = r.int("GATEWAY_KEEPALIVE_TIMEOUT_MS", 5000, { min: 100, max: 600000 });
  if (httpRequestTimeoutMs < headersTimeoutMs) {
    r.problem("GATEWAY_HTTP_REQUEST_TIMEOUT_MS must be at least GATEWAY_HEADERS_TIMEOUT_MS");
  }
  const jetstreamTimeoutMs = r.int("GATEWAY_JETSTREAM_TIMEOUT_MS", 5000, { min: 1, max: 600000 });
  const logLevel = r.oneOf("LOG_LEVEL", LEVELS, "info");
  r.done();
  return {
    nats,
    host,
    port,
    routerRequestTimeoutMs,
    maxBodyBytes,
    maxInflight,
    rateLimitRps,
    rateLimitBurst,
    tenantTokens,
    metricsTenants,
    shutdownGraceMs,
    headersTimeoutMs,
    httpRequestTimeoutMs,
    keepAliveTimeoutMs,
    jetstreamTimeoutMs,
    logLevel,
  };
}
