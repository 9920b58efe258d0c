// Router configuration from environment variables (documented in services/router/README.md). Every
// problem names its variable; a bad policies file is reported with the file and the JSON path.
import fs from "node:fs";
import os from "node:os";
import { EnvReader } from "../../common/env";
import type { Level } from "../../common/log";
import { readNatsSettings, NatsSettings } from "../../common/nats";
import { DURABLE_BACKOFF_STEP_MS, LOG_LEVEL, ROUTER_ENV } from "../../common/service-contract";
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
      problems: [
        `${ROUTER_ENV.policiesFile.name} ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`,
      ],
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return {
      problems: [`${ROUTER_ENV.policiesFile.name} ${file}: not valid JSON (${(e as Error).message})`],
    };
  }
  const r = parsePolicies(doc);
  return { set: r.set, problems: r.problems.map((p) => `${ROUTER_ENV.policiesFile.name} ${file}: ${p}`) };
}

export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const r = new EnvReader(env);
  const V = ROUTER_ENV;
  const nats = readNatsSettings(r);
  const maxInflight = r.get(V.maxInflight);
  const bp = {
    pendingWarn: r.get(V.backpressurePendingWarn),
    pendingActive: r.get(V.backpressurePendingActive),
    inflightWarn: r.get(V.backpressureInflightWarn, Math.max(1, Math.floor(maxInflight * 0.5))),
    inflightActive: r.get(V.backpressureInflightActive, Math.max(1, Math.floor(maxInflight * 0.9))),
    latencyWarnMs: r.get(V.backpressureLatencyWarnMs),
    latencyActiveMs: r.get(V.backpressureLatencyActiveMs),
    retryAfterS: r.get(V.backpressureRetryAfterS),
    intervalMs: r.get(V.backpressureIntervalMs),
  };
  for (const [warn, active, [w, a]] of [
    [V.backpressurePendingWarn, V.backpressurePendingActive, [bp.pendingWarn, bp.pendingActive]],
    [V.backpressureInflightWarn, V.backpressureInflightActive, [bp.inflightWarn, bp.inflightActive]],
    [V.backpressureLatencyWarnMs, V.backpressureLatencyActiveMs, [bp.latencyWarnMs, bp.latencyActiveMs]],
  ] as const) {
    if (w > a) r.problem(`${warn.name} (${w}) must not exceed ${active.name} (${a})`);
  }
  const step = DURABLE_BACKOFF_STEP_MS;
  const backoffMs: number[] = [];
  for (const b of r.get(V.durableBackoffMs)) {
    const n = Number(b);
    if (!/^\d+$/.test(b) || n < step.min || n > step.max) {
      r.problem(
        `${V.durableBackoffMs.name} must be a comma-separated list of integers ${step.min}..${step.max}, got ${JSON.stringify(b)}`,
      );
    } else backoffMs.push(n);
  }
  const maxDeliver = r.get(V.durableMaxDeliver);
  if (backoffMs.length >= maxDeliver) {
    r.problem(
      `${V.durableMaxDeliver.name} (${maxDeliver}) must be greater than the number of ${V.durableBackoffMs.name} steps (${backoffMs.length})`,
    );
  }

  const policiesFile = r.get(V.policiesFile);
  let policies: PolicySet | undefined;
  if (policiesFile) {
    const loaded = loadPoliciesFile(policiesFile);
    loaded.problems.forEach((p) => r.problem(p));
    policies = loaded.set;
  } else {
    policies = parsePolicies(defaultPolicies).set;
  }

  const instanceEnv = r.get(V.instanceId);
  if (instanceEnv !== undefined && !/^[\x21-\x7e]{1,128}$/.test(instanceEnv)) {
    r.problem(
      `${V.instanceId.name} must be 1-128 printable ASCII characters without spaces, got ${JSON.stringify(instanceEnv)}`,
    );
  }
  const instanceId = instanceEnv ?? (os.hostname().slice(0, 128) || "router");

  const cfg: RouterConfig = {
    nats,
    metricsHost: r.get(V.metricsHost),
    metricsPort: r.get(V.metricsPort),
    policiesSource: policiesFile ?? "built-in",
    policies: policies!,
    faultsEnabled: r.get(V.faultsEnabled),
    allowedTenants: r.get(V.allowedTenants),
    idempotencyTtlMs: r.get(V.idempotencyTtlMs),
    idempotencyMaxEntries: r.get(V.idempotencyMaxEntries),
    idempotencyStoreTimeoutMs: r.get(V.idempotencyStoreTimeoutMs),
    instanceId,
    maxInflight,
    maxPayloadBytes: r.get(V.maxPayloadBytes),
    backpressure: bp,
    breaker: {
      failureThreshold: r.get(V.breakerFailureThreshold),
      openMs: r.get(V.breakerOpenMs),
    },
    durable: {
      maxDeliver,
      backoffMs,
      maxAckPending: r.get(V.durableMaxAckPending),
      decisionTtlMs: r.get(V.decisionTtlMs),
    },
    jetstreamReplicas: r.get(V.jetstreamReplicas),
    logLevel: r.get(LOG_LEVEL),
  };
  r.done();
  return cfg;
}
