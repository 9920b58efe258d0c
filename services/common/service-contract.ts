// The services' deployment contract in one place: every environment variable the gateway and the router
// read (name, default, allowed range), their ports and HTTP routes, and the GATEWAY_TENANT_TOKENS format.
// The services' config readers (services/*/src/config.ts, ./nats.ts), the components' environment
// builder (components/service.ts) and the stack config's range checks (stacks/config.ts) all read it
// from here, so a default or a range is stated once. The wire contract (subjects, codes) is ./contract.ts.

interface VarBase {
  /** The environment variable's name. */
  readonly name: string;
}
/** An integer variable. `default` undefined: the reader computes it (e.g. from another variable). */
export interface IntVar extends VarBase {
  readonly kind: "int";
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}
export interface NumberVar extends VarBase {
  readonly kind: "number";
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}
export interface BoolVar extends VarBase {
  readonly kind: "bool";
  readonly default: boolean;
}
export interface StringVar<D extends string | undefined = string | undefined> extends VarBase {
  readonly kind: "string";
  readonly default: D;
}
/** A comma-separated list. */
export interface ListVar extends VarBase {
  readonly kind: "list";
  readonly default: readonly string[];
}
export interface OneOfVar<T extends string = string> extends VarBase {
  readonly kind: "oneOf";
  readonly values: readonly T[];
  readonly default: T;
}
export type EnvVar = IntVar | NumberVar | BoolVar | StringVar | ListVar | OneOfVar;

const int = (name: string, def: number | undefined, min = -Infinity, max = Infinity): IntVar => ({
  kind: "int",
  name,
  default: def,
  min,
  max,
});
const num = (name: string, def: number, min = -Infinity, max = Infinity): NumberVar => ({
  kind: "number",
  name,
  default: def,
  min,
  max,
});
const bool = (name: string, def: boolean): BoolVar => ({ kind: "bool", name, default: def });
function str(name: string): StringVar<undefined>;
function str(name: string, def: string): StringVar<string>;
function str(name: string, def?: string): StringVar {
  return { kind: "string", name, default: def };
}
const list = (name: string, def: readonly string[] = []): ListVar => ({ kind: "list", name, default: def });

/** `NAME=value` as docker and Kubernetes take an environment entry. */
export function envEntry(v: EnvVar, value: string | number | boolean): string {
  return `${v.name}=${value}`;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_LEVEL: OneOfVar<LogLevel> = {
  kind: "oneOf",
  name: "LOG_LEVEL",
  values: LOG_LEVELS,
  default: "info",
};

/** The NATS connection both services open (./nats.ts). */
export const NATS_ENV = {
  /** Comma-separated server URLs. */
  url: list("NATS_URL", ["nats://127.0.0.1:4222"]),
  user: str("NATS_USER"),
  password: str("NATS_PASSWORD"),
  token: str("NATS_TOKEN"),
  // 5 s × 2 missed pongs: a silently dead link is noticed within ~10-15 s.
  pingIntervalMs: int("NATS_PING_INTERVAL_MS", 5000, 100, 120000),
  maxPingOut: int("NATS_MAX_PING_OUT", 2, 1, 10),
  reconnectWaitMs: int("NATS_RECONNECT_WAIT_MS", 250, 10, 60000),
  reconnectJitterMs: int("NATS_RECONNECT_JITTER_MS", 250, 0, 60000),
} as const;

/** The gateway's variables (services/gateway/src/config.ts; documented in services/gateway/README.md). */
export const GATEWAY_ENV = {
  host: str("GATEWAY_HOST", "0.0.0.0"),
  /** 0 = an ephemeral port (tests). */
  port: int("GATEWAY_PORT", 8080, 0, 65535),
  routerRequestTimeoutMs: int("ROUTER_REQUEST_TIMEOUT_MS", 5000, 1, 600000),
  maxBodyBytes: int("GATEWAY_MAX_BODY_BYTES", 65536, 64, 64 * 1024 * 1024),
  maxInflight: int("GATEWAY_MAX_INFLIGHT", 1024, 1, 1000000),
  /** Per-tenant token bucket, requests/s; 0 = off. */
  rateLimitRps: num("GATEWAY_RATE_LIMIT_RPS", 0, 0, 1e7),
  /** Bucket size; default max(1, ceil(rps)). */
  rateLimitBurst: int("GATEWAY_RATE_LIMIT_BURST", undefined, 0, 1e7),
  /** `tenant:token,tenant:token` (parseTenantTokens); unset = no authentication. */
  tenantTokens: str("GATEWAY_TENANT_TOKENS"),
  metricsTenants: list("GATEWAY_METRICS_TENANTS"),
  shutdownGraceMs: int("GATEWAY_SHUTDOWN_GRACE_MS", 10000, 0, 600000),
  headersTimeoutMs: int("GATEWAY_HEADERS_TIMEOUT_MS", 10000, 100, 600000),
  httpRequestTimeoutMs: int("GATEWAY_HTTP_REQUEST_TIMEOUT_MS", 30000, 100, 3600000),
  keepAliveTimeoutMs: int("GATEWAY_KEEPALIVE_TIMEOUT_MS", 5000, 100, 600000),
  jetstreamTimeoutMs: int("GATEWAY_JETSTREAM_TIMEOUT_MS", 5000, 1, 600000),
} as const;

/** The router's variables (services/router/src/config.ts; documented in services/router/README.md). */
export const ROUTER_ENV = {
  metricsHost: str("ROUTER_METRICS_HOST", "0.0.0.0"),
  /** The router's HTTP port: /metrics, /health, /ready. */
  metricsPort: int("ROUTER_METRICS_PORT", 9091, 0, 65535),
  maxInflight: int("ROUTER_MAX_INFLIGHT", 10000, 1, 1_000_000),
  backpressurePendingWarn: int("ROUTER_BACKPRESSURE_PENDING_WARN", 1000, 1),
  backpressurePendingActive: int("ROUTER_BACKPRESSURE_PENDING_ACTIVE", 10000, 1),
  /** Default half of ROUTER_MAX_INFLIGHT. */
  backpressureInflightWarn: int("ROUTER_BACKPRESSURE_INFLIGHT_WARN", undefined, 1),
  /** Default 90% of ROUTER_MAX_INFLIGHT. */
  backpressureInflightActive: int("ROUTER_BACKPRESSURE_INFLIGHT_ACTIVE", undefined, 1),
  backpressureLatencyWarnMs: num("ROUTER_BACKPRESSURE_LATENCY_WARN_MS", 250, 0),
  backpressureLatencyActiveMs: num("ROUTER_BACKPRESSURE_LATENCY_ACTIVE_MS", 1000, 0),
  backpressureRetryAfterS: int("ROUTER_BACKPRESSURE_RETRY_AFTER_S", 2, 1, 3600),
  backpressureIntervalMs: int("ROUTER_BACKPRESSURE_INTERVAL_MS", 1000, 50, 60000),
  /** Comma-separated redelivery delays; each within durableBackoffStepMs. */
  durableBackoffMs: list("ROUTER_DURABLE_BACKOFF_MS", ["1000", "5000", "15000"]),
  durableMaxDeliver: int("ROUTER_DURABLE_MAX_DELIVER", 5, 1, 100),
  durableMaxAckPending: int("ROUTER_DURABLE_MAX_ACK_PENDING", 1000, 1, 100_000),
  decisionTtlMs: int("ROUTER_DECISION_TTL_MS", 86_400_000, 1000),
  policiesFile: str("ROUTER_POLICIES_FILE"),
  /** Default: the hostname. */
  instanceId: str("ROUTER_INSTANCE_ID"),
  faultsEnabled: bool("ROUTER_FAULTS_ENABLED", false),
  /** Empty = every tenant allowed. */
  allowedTenants: list("ROUTER_ALLOWED_TENANTS"),
  idempotencyTtlMs: int("ROUTER_IDEMPOTENCY_TTL_MS", 300_000, 1, 86_400_000),
  idempotencyMaxEntries: int("ROUTER_IDEMPOTENCY_MAX_ENTRIES", 100_000, 1, 10_000_000),
  idempotencyStoreTimeoutMs: int("ROUTER_IDEMPOTENCY_STORE_TIMEOUT_MS", 2000, 100, 60_000),
  maxPayloadBytes: int("ROUTER_MAX_PAYLOAD_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
  breakerFailureThreshold: int("ROUTER_BREAKER_FAILURE_THRESHOLD", 5, 1, 1000),
  breakerOpenMs: int("ROUTER_BREAKER_OPEN_MS", 10_000, 10, 3_600_000),
  /** JetStream replicas of the intake stream the router creates. */
  jetstreamReplicas: int("ROUTER_JETSTREAM_REPLICAS", 1, 1, 5),
} as const;

/** The range of each ROUTER_DURABLE_BACKOFF_MS step. */
export const DURABLE_BACKOFF_STEP_MS = { min: 100, max: 3_600_000 } as const;

export type ServiceKind = "gateway" | "router";

/** Port each service listens on for HTTP by default (gateway API; router metrics and health). */
export const SERVICE_PORTS: Record<ServiceKind, number> = {
  gateway: GATEWAY_ENV.port.default!,
  router: ROUTER_ENV.metricsPort.default!,
};

/** Routes both services answer on their HTTP port. */
export const HTTP_ROUTES = {
  /** Liveness: 200 while the process serves HTTP. */
  health: "/health",
  /** Readiness: 200 with NATS connected (router: and JetStream reachable), else 503. */
  ready: "/ready",
  /** Prometheus text. */
  metrics: "/metrics",
} as const;

/** The gateway's API routes (../shared/contract/README.md section 1). */
export const GATEWAY_ROUTES = {
  decide: "/api/v1/routes/decide",
  messages: "/api/v1/messages",
  decision: "/api/v1/routes/decide/{message_id}",
  /** The decision route up to its message id. */
  decisionPrefix: "/api/v1/routes/decide/",
  /** JSON summary of the gateway's counters (tests and tools). */
  debugMetrics: "/_metrics",
} as const;

/**
 * Parses a tenant token list, "tenant:token,tenant:token" (GATEWAY_TENANT_TOKENS, and the stack's
 * gatewayTenantTokens), named `name` in every problem. Problems give an entry's position, never a token.
 * `check` adds the caller's own rules for one well-formed pair (a problem, or undefined when fine).
 */
export function parseTenantTokens(
  value: string,
  name: string,
  check?: (tenant: string, token: string, entry: number) => string | undefined,
): { tokens: Map<string, string>; entries: number; problems: string[] } {
  const tokens = new Map<string, string>();
  const problems: string[] = [];
  const entries = value
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(":");
    const tenant = colon > 0 ? entry.slice(0, colon).trim() : "";
    const token = colon > 0 ? entry.slice(colon + 1).trim() : "";
    const problem = !tenant || !token ? undefined : check?.(tenant, token, i + 1);
    if (!tenant || !token) {
      problems.push(`${name} must be a comma-separated list of tenant:token pairs; entry ${i + 1} is not`);
    } else if (problem !== undefined) {
      problems.push(problem);
    } else if (tokens.has(tenant)) {
      problems.push(`${name} lists tenant ${JSON.stringify(tenant)} twice`);
    } else {
      tokens.set(tenant, token);
    }
  });
  return { tokens, entries: entries.length, problems };
}

/** Tenant tokens in the format of GATEWAY_TENANT_TOKENS. */
export function renderTenantTokens(tokens: Record<string, string>): string {
  return Object.entries(tokens)
    .map(([t, k]) => `${t}:${k}`)
    .join(",");
}
