// Router configuration from environment variables (documented in services/router/README.md). Every
// problem names its variable; a bad policies file is reported with the file and the JSON path.
import fs from "node:fs";
import os from "node:os";
import { EnvReader } from "../../common/env";
import type { Level } from "../../common/log";
import { readNatsSettings, NatsSettings } from "../../common/nats";
import type { BackpressureThresholds } from "./backpressure";
import { parsePolicies, PolicySet } from "./policy";
import defaultPolicies from "../policies/default.json";

export interface RouterConfig {
  nats: NatsSettings;
  metricsHost: string;
  metricsPort: number;
  /** Path of ROUTER_POLICIES_FILE, or "built-in" for the default policy. */
  policiesSource: string;
  policies: PolicySet;
  faultsEnabled: boolean;
  /** Empty = every tenant allowed. */
  allowedTenants: string[];
  idempotencyTtlMs: number;
  idempotencyMaxEntries: number;
  /** Bound of each call to the shared idempotency store (KV bucket BEAMLINE_IDEMPOTENCY). */
  idempotencyStoreTimeoutMs: number;
  /** Readable prefix of this router's id in idempotency records and logs (default: the hostname). */
  instanceId: string;
  maxInflight: number;
  maxPayloadBytes: number;
  backpressure: BackpressureThresholds & { intervalMs: number };
  breaker: { failureThreshold: number; openMs: number };
  durable: { maxDeliver: number; backoffMs: number[]; maxAckPending: number; decisionTtlMs: number };
  jetstreamReplicas: number;
  logLevel: Level;
}

/** Loads and checks a policies document; problems name the file and the JSON path. */
export function loadPoliciesFile(file: string): { set?: PolicySet; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return {
      problems: [`ROUTER_POLICIES_FILE ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`],
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { problems: [`ROUTER_POLICIES_FILE ${file}: not valid JSON (${(e as Error).message})`] };
  }
  const r = parsePolicies(doc);
  return { set: r.set, problems: r.problems.map((p) => `ROUTER_POLICIES_FILE ${file}: ${p}`) };
}

export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const r = new EnvReader(env);
  const nats = readNatsSettings(r);
  const maxInflight = r.int("ROUTER_MAX_INFLIGHT", 10000, { min: 1, max: 1_000_000 });
  const bp = {
    pendingWarn: r.int("ROUTER_BACKPRESSURE_PENDING_WARN", 1000, { min: 1 }),
    pendingActive: r.int("ROUTER_BACKPRESSURE_PENDING_ACTIVE", 10000, { min: 1 }),
    inflightWarn: r.int("ROUTER_BACKPRESSURE_INFLIGHT_WARN", Math.max(1, Math.floor(maxInflight * 0.5)), {
      min: 1,
    }),
    inflightActive: r.int("ROUTER_BACKPRESSURE_INFLIGHT_ACTIVE", Math.max(1, Math.floor(maxInflight * 0.9)), {
      min: 1,
    }),
    latencyWarnMs: r.number("ROUTER_BACKPRESSURE_LATENCY_WARN_MS", 250, { min: 0 }),
    latencyActiveMs: r.number("ROUTER_BACKPRESSURE_LATENCY_ACTIVE_MS", 1000, { min: 0 }),
    retryAfterS: r.int("ROUTER_BACKPRESSURE_RETRY_AFTER_S", 2, { min: 1, max: 3600 }),
    intervalMs: r.int("ROUTER_BACKPRESSURE_INTERVAL_MS", 1000, { min: 50, max: 60000 }),
  };
  for (const [warn, active] of [
    ["PENDING", [bp.pendingWarn, bp.pendingActive]],
    ["INFLIGHT", [bp.inflightWarn, bp.inflightActive]],
    ["LATENCY", [bp.latencyWarnMs, bp.latencyActiveMs]],
  ] as const) {
    if (active[0] > active[1]) {
      r.problem(
        `ROUTER_BACKPRESSURE_${warn}_WARN (${active[0]}) must not exceed ROUTER_BACKPRESSURE_${warn}${warn === "LATENCY" ? "_ACTIVE_MS" : "_ACTIVE"} (${active[1]})`,
      );
    }
  }
  const backoffRaw = r.list("ROUTER_DURABLE_BACKOFF_MS", ["1000", "5000", "15000"]);
  const backoffMs: number[] = [];
  for (const b of backoffRaw) {
    const n = Number(b);
    if (!/^\d+$/.test(b) || n < 100 || n > 3_600_000) {
      r.problem(
        `ROUTER_DURABLE_BACKOFF_MS must be a comma-separated list of integers 100..3600000, got ${JSON.stringify(b)}`,
      );
    } else backoffMs.push(n);
  }
  const maxDeliver = r.int("ROUTER_DURABLE_MAX_DELIVER", 5, { min: 1, max: 100 });
  if (backoffMs.length >= maxDeliver) {
    r.problem(
      `ROUTER_DURABLE_MAX_DELIVER (${maxDeliver}) must be greater than the number of ROUTER_DURABLE_BACKOFF_MS steps (${backoffMs.length})`,
    );
  }

  const policiesFile = r.string("ROUTER_POLICIES_FILE");
  let policies: PolicySet | undefined;
  if (policiesFile) {
    const loaded = loadPoliciesFile(policiesFile);
    loaded.problems.forEach((p) => r.problem(p));
    policies = loaded.set;
  } else {
    policies = parsePolicies(defaultPolicies).set;
  }

  const instanceEnv = r.string("ROUTER_INSTANCE_ID");
  if (instanceEnv !== undefined && !/^[\x21-\x7e]{1,128}$/.test(instanceEnv)) {
    r.problem(
      `ROUTER_INSTANCE_ID must be 1-128 printable ASCII characters without spaces, got ${JSON.stringify(instanceEnv)}`,
    );
  }
  const instanceId = instanceEnv ?? (os.hostname().slice(0, 128) || "router");

  const cfg: RouterConfig = {
    nats,
    metricsHost: r.string("ROUTER_METRICS_HOST", "0.0.0.0"),
    metricsPort: r.int("ROUTER_METRICS_PORT", 9091, { min: 0, max: 65535 }),
    policiesSource: policiesFile ?? "built-in",
    policies: policies!,
    faultsEnabled: r.bool("ROUTER_FAULTS_ENABLED", false),
    allowedTenants: r.list("ROUTER_ALLOWED_TENANTS", []),
    idempotencyTtlMs: r.int("ROUTER_IDEMPOTENCY_TTL_MS", 300_000, { min: 1, max: 86_400_000 }),
    idempotencyMaxEntries: r.int("ROUTER_IDEMPOTENCY_MAX_ENTRIES", 100_000, { min: 1, max: 10_000_000 }),
    idempotencyStoreTimeoutMs: r.int("ROUTER_IDEMPOTENCY_STORE_TIMEOUT_MS", 2000, { min: 100, max: 60_000 }),
    instanceId,
    maxInflight,
    maxPayloadBytes: r.int("ROUTER_MAX_PAYLOAD_BYTES", 1024 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
    backpressure: bp,
    breaker: {
      failureThreshold: r.int("ROUTER_BREAKER_FAILURE_THRESHOLD", 5, { min: 1, max: 1000 }),
      openMs: r.int("ROUTER_BREAKER_OPEN_MS", 10_000, { min: 10, max: 3_600_000 }),
    },
    durable: {
      maxDeliver,
      backoffMs,
      maxAckPending: r.int("ROUTER_DURABLE_MAX_ACK_PENDING", 1000, { min: 1, max: 100_000 }),
      decisionTtlMs: r.int("ROUTER_DECISION_TTL_MS", 86_400_000, { min: 1000 }),
    },
    jetstreamReplicas: r.int("ROUTER_JETSTREAM_REPLICAS", 1, { min: 1, max: 5 }),
    logLevel: r.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"] as const, "info"),
  };
  r.done();
  return cfg;
}
