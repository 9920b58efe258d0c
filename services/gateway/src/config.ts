// Gateway configuration from environment variables. Every value is validated and every error names the
// variable (EnvReader collects them all so an operator fixes the config in one pass).
import { EnvReader } from "../../common/env";
import type { Level } from "../../common/log";
import { readNatsSettings, NatsSettings } from "../../common/nats";
import { GATEWAY_ENV, LOG_LEVEL, parseTenantTokens } from "../../common/service-contract";

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

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const r = new EnvReader(env);
  const V = GATEWAY_ENV;
  const nats = readNatsSettings(r);
  const host = r.get(V.host);
  const port = r.get(V.port);
  const routerRequestTimeoutMs = r.get(V.routerRequestTimeoutMs);
  const maxBodyBytes = r.get(V.maxBodyBytes);
  const maxInflight = r.get(V.maxInflight);
  const rateLimitRps = r.get(V.rateLimitRps);
  const rateLimitBurst = r.get(V.rateLimitBurst, Math.max(1, Math.ceil(rateLimitRps)));
  if (rateLimitRps > 0 && rateLimitBurst < 1) {
    r.problem(`${V.rateLimitBurst.name} must be at least 1 when ${V.rateLimitRps.name} is set`);
  }
  const tokensRaw = r.get(V.tenantTokens);
  const parsed = tokensRaw === undefined ? undefined : parseTenantTokens(tokensRaw, V.tenantTokens.name);
  parsed?.problems.forEach((p) => r.problem(p));
  const tenantTokens = parsed?.tokens ?? new Map<string, string>();
  const metricsTenants = r.get(V.metricsTenants);
  const shutdownGraceMs = r.get(V.shutdownGraceMs);
  const headersTimeoutMs = r.get(V.headersTimeoutMs);
  const httpRequestTimeoutMs = r.get(V.httpRequestTimeoutMs);
  const keepAliveTimeoutMs = r.get(V.keepAliveTimeoutMs);
  if (httpRequestTimeoutMs < headersTimeoutMs) {
    r.problem(`${V.httpRequestTimeoutMs.name} must be at least ${V.headersTimeoutMs.name}`);
  }
  const jetstreamTimeoutMs = r.get(V.jetstreamTimeoutMs);
  const logLevel = r.get(LOG_LEVEL);
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
