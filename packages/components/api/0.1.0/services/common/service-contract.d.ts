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
/** `NAME=value` as docker and Kubernetes take an environment entry. */
export declare function envEntry(v: EnvVar, value: string | number | boolean): string;
export declare const LOG_LEVELS: readonly ["debug", "info", "warn", "error"];
export type LogLevel = (typeof LOG_LEVELS)[number];
export declare const LOG_LEVEL: OneOfVar<LogLevel>;
/** The NATS connection both services open (./nats.ts). */
export declare const NATS_ENV: {
    /** Comma-separated server URLs. */
    readonly url: ListVar;
    readonly user: StringVar<undefined>;
    readonly password: StringVar<undefined>;
    readonly token: StringVar<undefined>;
    readonly pingIntervalMs: IntVar;
    readonly maxPingOut: IntVar;
    readonly reconnectWaitMs: IntVar;
    readonly reconnectJitterMs: IntVar;
};
/** The gateway's variables (services/gateway/src/config.ts; documented in services/gateway/README.md). */
export declare const GATEWAY_ENV: {
    readonly host: StringVar<string>;
    /** 0 = an ephemeral port (tests). */
    readonly port: IntVar;
    readonly routerRequestTimeoutMs: IntVar;
    readonly maxBodyBytes: IntVar;
    readonly maxInflight: IntVar;
    /** Per-tenant token bucket, requests/s; 0 = off. */
    readonly rateLimitRps: NumberVar;
    /** Bucket size; default max(1, ceil(rps)). */
    readonly rateLimitBurst: IntVar;
    /** `tenant:token,tenant:token` (parseTenantTokens); unset = no authentication. */
    readonly tenantTokens: StringVar<undefined>;
    readonly metricsTenants: ListVar;
    readonly shutdownGraceMs: IntVar;
    readonly headersTimeoutMs: IntVar;
    readonly httpRequestTimeoutMs: IntVar;
    readonly keepAliveTimeoutMs: IntVar;
    readonly jetstreamTimeoutMs: IntVar;
};
/** The router's variables (services/router/src/config.ts; documented in services/router/README.md). */
export declare const ROUTER_ENV: {
    readonly metricsHost: StringVar<string>;
    /** The router's HTTP port: /metrics, /health, /ready. */
    readonly metricsPort: IntVar;
    readonly maxInflight: IntVar;
    readonly backpressurePendingWarn: IntVar;
    readonly backpressurePendingActive: IntVar;
    /** Default half of ROUTER_MAX_INFLIGHT. */
    readonly backpressureInflightWarn: IntVar;
    /** Default 90% of ROUTER_MAX_INFLIGHT. */
    readonly backpressureInflightActive: IntVar;
    readonly backpressureLatencyWarnMs: NumberVar;
    readonly backpressureLatencyActiveMs: NumberVar;
    readonly backpressureRetryAfterS: IntVar;
    readonly backpressureIntervalMs: IntVar;
    /** Comma-separated redelivery delays; each within durableBackoffStepMs. */
    readonly durableBackoffMs: ListVar;
    readonly durableMaxDeliver: IntVar;
    readonly durableMaxAckPending: IntVar;
    readonly decisionTtlMs: IntVar;
    readonly policiesFile: StringVar<undefined>;
    /** Default: the hostname. */
    readonly instanceId: StringVar<undefined>;
    readonly faultsEnabled: BoolVar;
    /** Empty = every tenant allowed. */
    readonly allowedTenants: ListVar;
    readonly idempotencyTtlMs: IntVar;
    readonly idempotencyMaxEntries: IntVar;
    readonly idempotencyStoreTimeoutMs: IntVar;
    readonly maxPayloadBytes: IntVar;
    readonly breakerFailureThreshold: IntVar;
    readonly breakerOpenMs: IntVar;
    /** JetStream replicas of the intake stream the router creates. */
    readonly jetstreamReplicas: IntVar;
};
/** The range of each ROUTER_DURABLE_BACKOFF_MS step. */
export declare const DURABLE_BACKOFF_STEP_MS: {
    readonly min: 100;
    readonly max: 3600000;
};
export type ServiceKind = "gateway" | "router";
/** Port each service listens on for HTTP by default (gateway API; router metrics and health). */
export declare const SERVICE_PORTS: Record<ServiceKind, number>;
/** Routes both services answer on their HTTP port. */
export declare const HTTP_ROUTES: {
    /** Liveness: 200 while the process serves HTTP. */
    readonly health: "/health";
    /** Readiness: 200 with NATS connected (router: and JetStream reachable), else 503. */
    readonly ready: "/ready";
    /** Prometheus text. */
    readonly metrics: "/metrics";
};
/** The gateway's API routes (../shared/contract/README.md section 1). */
export declare const GATEWAY_ROUTES: {
    readonly decide: "/api/v1/routes/decide";
    readonly messages: "/api/v1/messages";
    readonly decision: "/api/v1/routes/decide/{message_id}";
    /** The decision route up to its message id. */
    readonly decisionPrefix: "/api/v1/routes/decide/";
    /** JSON summary of the gateway's counters (tests and tools). */
    readonly debugMetrics: "/_metrics";
};
/**
 * Parses a tenant token list, "tenant:token,tenant:token" (GATEWAY_TENANT_TOKENS, and the stack's
 * gatewayTenantTokens), named `name` in every problem. Problems give an entry's position, never a token.
 * `check` adds the caller's own rules for one well-formed pair (a problem, or undefined when fine).
 */
export declare function parseTenantTokens(value: string, name: string, check?: (tenant: string, token: string, entry: number) => string | undefined): {
    tokens: Map<string, string>;
    entries: number;
    problems: string[];
};
/** Tenant tokens in the format of GATEWAY_TENANT_TOKENS. */
export declare function renderTenantTokens(tokens: Record<string, string>): string;
export {};
