// Stack configuration of every target: read once, every key (the cloud targets' keys of
// stacks/cloud-config.ts included) validated in one pass, typed per target afterwards. `parseConfig` is
// pure (raw strings in, typed config or one ConfigError naming every bad key out), so it is unit-tested
// directly; `readConfig` only gathers the raw strings from Pulumi and keeps the NATS password and the
// gateway's tenant tokens secret Outputs. Validation reuses services/common's EnvReader (config keys are
// just names) and takes the services' defaults and ranges from their contract (service-contract.ts).
import * as pulumi from "@pulumi/pulumi";
import type { GatewaySettings, RouterSettings, ServiceKind } from "../components/service";
import { parseMemory, type ImageSource, type Limits } from "../components/types";
import { ConfigError, EnvReader } from "../services/common/env";
import {
  GATEWAY_ENV,
  parseTenantTokens,
  ROUTER_ENV,
  type IntVar,
  type NumberVar,
} from "../services/common/service-contract";
import {
  parseAwsSettings,
  parseKubernetesSettings,
  type AwsSettings,
  type KubernetesSettings,
} from "./cloud-config";
import { CLOUD_CONFIG_KEYS } from "./cloud-keys";
import { PROJECT } from "./config-keys";

export { PROJECT, parseMemory };
export const TARGETS = ["docker", "aws", "kubernetes"] as const;
export type Target = (typeof TARGETS)[number];

export interface ServiceSettings {
  image: ImageSource;
  replicas: number;
  limits: Limits;
  /** Extra environment ("KEY=VALUE"), appended after the component's own variables. */
  env: string[];
}

export interface StackConfig {
  target: Target;
  stack: string;
  /** Host address published ports bind to (127.0.0.1 unless deliberately opened). */
  bindAddress: string;
  nats: {
    replicas: 1 | 3;
    image: string;
    user: string;
    limits: Limits;
    /** Keep the JetStream volumes when the stack is destroyed. */
    retainVolumes: boolean;
    /** JetStream stream replicas the services create (1, or 3 on a 3-node cluster). */
    streamReplicas: number;
  };
  gateway: ServiceSettings & {
    hostPort: number;
    requestTimeoutMs: number;
    /** Per-tenant token bucket (GATEWAY_RATE_LIMIT_RPS); 0 = off. */
    rateLimitRps: number;
    /** Bucket size (GATEWAY_RATE_LIMIT_BURST); 0 = the gateway's default, ceil(rps). */
    rateLimitBurst: number;
    /**
     * Tenants that have a bearer token in `gatewayTenantTokens` (names only: the tokens themselves stay
     * a secret Output, see LoadedConfig); empty = the gateway runs without authentication.
     */
    tokenTenants: string[];
  };
  router: ServiceSettings & { faultsEnabled: boolean };
  /**
   * Toxiproxy between the routers and NATS (docker target only): one proxy per NATS node, the routers'
   * NATS_URL through it (the gateway stays direct), so chaos can add latency without the kernel's netem.
   */
  linkProxy: { enabled: boolean; image: string };
  observability: {
    scrapeIntervalSeconds: number;
    alertWebhookUrl: string;
    prometheus: { image: string; hostPort: number };
    alertmanager: { image: string; hostPort: number };
    blackbox: { image: string };
    grafana: { enabled: boolean; image: string; hostPort: number };
    natsExporter: { enabled: boolean; image: string };
    cadvisor: { enabled: boolean; image: string };
    loki: { enabled: boolean; image: string; promtailImage: string };
  };
  validation: { enabled: boolean; tenant: string };
}

/** The docker target's config: the shared settings only. */
export interface DockerConfig extends StackConfig {
  target: "docker";
}
/** The aws target's config: the shared settings and the aws* keys. */
export interface AwsConfig extends StackConfig {
  target: "aws";
  aws: AwsSettings;
}
/** The kubernetes target's config: the shared settings and the k8s* keys. */
export interface KubernetesConfig extends StackConfig {
  target: "kubernetes";
  kubernetes: KubernetesSettings;
}
/** What parseConfig returns: the config of the selected target, told apart by `target`. */
export type TargetConfig = DockerConfig | AwsConfig | KubernetesConfig;

/** Every key this project reads, without the `proving-ground:` namespace. Unknown keys are rejected. */
export const CONFIG_KEYS = [
  "target",
  "bindAddress",
  "natsReplicas",
  "natsImage",
  "natsUser",
  "natsPassword",
  "natsCpus",
  "natsMemory",
  "natsRetainVolumes",
  "gatewayImage",
  "routerImage",
  "serviceBaseImage",
  "gatewayReplicas",
  "routerReplicas",
  "gatewayCpus",
  "gatewayMemory",
  "routerCpus",
  "routerMemory",
  "gatewayEnv",
  "routerEnv",
  "gatewayHostPort",
  "gatewayRequestTimeoutMs",
  "gatewayTenantTokens",
  "gatewayRateLimitRps",
  "gatewayRateLimitBurst",
  "routerFaultsEnabled",
  "prometheusImage",
  "prometheusHostPort",
  "alertmanagerImage",
  "alertmanagerHostPort",
  "alertWebhookUrl",
  "scrapeIntervalSeconds",
  "blackboxImage",
  "grafanaEnabled",
  "grafanaImage",
  "grafanaHostPort",
  "natsExporterEnabled",
  "natsExporterImage",
  "cadvisorEnabled",
  "cadvisorImage",
  "lokiEnabled",
  "lokiImage",
  "promtailImage",
  "validationEnabled",
  "validationTenant",
  "linkProxyEnabled",
  "linkProxyImage",
  // Target-specific keys of the cloud stacks, validated in stacks/cloud-config.ts.
  ...CLOUD_CONFIG_KEYS,
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** Defaults: the `dev` stack's public images, pinned by tag. Pulumi.yaml declares the same values. */
export const DEFAULTS = {
  natsImage: "nats:2.15.3-alpine",
  prometheusImage: "prom/prometheus:v2.53.2",
  alertmanagerImage: "prom/alertmanager:v0.27.0",
  blackboxImage: "prom/blackbox-exporter:v0.25.0",
  grafanaImage: "grafana/grafana:11.2.0",
  natsExporterImage: "natsio/prometheus-nats-exporter:0.15.0",
  cadvisorImage: "gcr.io/cadvisor/cadvisor:v0.49.1",
  lokiImage: "grafana/loki:3.1.1",
  promtailImage: "grafana/promtail:3.1.1",
  linkProxyImage: "ghcr.io/shopify/toxiproxy:2.5.0",
} as const;

/** An image reference pinned by tag or digest ("nats:2.15.3-alpine", "repo/x@sha256:..."), not `latest`. */
export function isPinnedImage(ref: string): boolean {
  if (/\s/.test(ref) || ref === "") return false;
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  return colon > 0 && colon < lastSegment.length - 1 && lastSegment.slice(colon + 1) !== "latest";
}

// Docker refuses memory limits below 6 MiB; the services need far more, but that is the hard floor.
const MIN_MEMORY_BYTES = 6 * 1024 ** 2;

/**
 * Parses `gatewayTenantTokens` (the format of the gateway's GATEWAY_TENANT_TOKENS, parseTenantTokens of
 * the service contract) with this project's stricter rules: at least one pair, tenant ids without
 * whitespace, tokens of 16 characters or more. Problems name the key and the entry's position, never a
 * token.
 */
export function parseGatewayTenantTokens(value: string): {
  tokens: Record<string, string>;
  problems: string[];
} {
  const k = `${PROJECT}:gatewayTenantTokens`;
  const parsed = parseTenantTokens(value, k, (tenant, token, entry) => {
    if (!/^[^\s\p{Cc}]{1,256}$/u.test(tenant)) {
      return `${k}: entry ${entry} has a tenant id with whitespace or over 256 characters`;
    }
    if (/\s/.test(token) || token.length < 16) {
      return `${k}: the token of tenant ${JSON.stringify(tenant)} must be at least 16 characters without whitespace`;
    }
    return undefined;
  });
  const problems =
    parsed.entries === 0
      ? [`${k} must list at least one tenant:token pair when it is set`, ...parsed.problems]
      : parsed.problems;
  return { tokens: Object.fromEntries(parsed.tokens), problems };
}

/** Raw config as Pulumi hands it over: full keys ("proving-ground:natsReplicas") to strings. */
export type RawConfig = Record<string, string | undefined>;

const key = (k: ConfigKey) => `${PROJECT}:${k}`;

/**
 * Validates and types the whole stack config, the selected target's own keys included; throws one
 * ConfigError listing every problem.
 */
export function parseConfig(raw: RawConfig, stack: string): TargetConfig {
  const r = new EnvReader(raw);

  for (const k of Object.keys(raw)) {
    if (
      k.startsWith(`${PROJECT}:`) &&
      !(CONFIG_KEYS as readonly string[]).includes(k.slice(PROJECT.length + 1))
    ) {
      r.problem(`${k} is not a known config key (known: ${CONFIG_KEYS.join(", ")})`);
    }
  }

  const target = r.oneOf(key("target"), TARGETS, "docker");

  const image = (k: ConfigKey, def: string): string => {
    const v = r.string(key(k), def);
    if (!isPinnedImage(v)) {
      r.problem(
        `${key(k)} must be an image pinned by tag or digest (e.g. "nats:2.15.3-alpine"), got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const limits = (cpusKey: ConfigKey, memKey: ConfigKey, cpus: number, memory: string): Limits => {
    const c = r.number(key(cpusKey), cpus, { min: 0.01, max: 64 });
    const mem = r.string(key(memKey), memory);
    let bytes = parseMemory(mem);
    if (bytes === undefined) {
      r.problem(
        `${key(memKey)} must be a memory size like "256Mi", "512m" or "1g", got ${JSON.stringify(mem)}`,
      );
      bytes = parseMemory(memory)!;
    } else if (bytes < MIN_MEMORY_BYTES) {
      r.problem(`${key(memKey)} must be at least 6Mi (docker's minimum), got ${JSON.stringify(mem)}`);
    }
    return { cpus: c, memory: mem, memoryBytes: bytes, memoryMb: Math.ceil(bytes / 1024 ** 2) };
  };
  const port = (k: ConfigKey, def: number) => r.int(key(k), def, { min: 1, max: 65535 });
  /** An integer key for a service variable: the variable's default (or `def`) and range. */
  const contractInt = (k: ConfigKey, v: IntVar | NumberVar, def = v.default ?? 0) =>
    r.int(key(k), def, { min: v.min, max: v.max });
  const envList = (k: ConfigKey): string[] => {
    const v = raw[key(k)];
    if (v === undefined || v.trim() === "") return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      parsed = undefined;
    }
    if (
      !Array.isArray(parsed) ||
      !parsed.every((e) => typeof e === "string" && /^[A-Za-z_][A-Za-z0-9_]*=/.test(e))
    ) {
      r.problem(`${key(k)} must be a list of "NAME=value" strings, got ${v}`);
      return [];
    }
    return parsed as string[];
  };
  const serviceImage = (k: ConfigKey, service: "gateway" | "router"): ImageSource => {
    const v = r.string(key(k));
    if (v !== undefined) return { kind: "image", name: image(k, v) };
    return {
      kind: "build",
      dockerfile: `services/${service}/Dockerfile`,
      baseImage: r.string(key("serviceBaseImage")),
    };
  };

  const bindAddress = r.string(key("bindAddress"), "127.0.0.1");
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(bindAddress)) {
    r.problem(
      `${key("bindAddress")} must be an IPv4 address such as 127.0.0.1, got ${JSON.stringify(bindAddress)}`,
    );
  }

  const natsReplicasRaw = r.int(key("natsReplicas"), 1, { min: 1, max: 3 });
  if (natsReplicasRaw === 2) {
    r.problem(
      `${key("natsReplicas")} must be 1 or 3 (a 2-node JetStream cluster has no quorum after a loss), got 2`,
    );
  }
  const natsReplicas: 1 | 3 = natsReplicasRaw === 3 ? 3 : 1;
  const natsUser = r.string(key("natsUser"), "beamline");
  if (!/^[A-Za-z0-9_.-]+$/.test(natsUser)) {
    r.problem(`${key("natsUser")} must be letters, digits, "_", "." or "-", got ${JSON.stringify(natsUser)}`);
  }

  const gatewayReplicas = r.int(key("gatewayReplicas"), 1, { min: 1, max: 16 });
  const gateway = {
    image: serviceImage("gatewayImage", "gateway"),
    replicas: gatewayReplicas,
    limits: limits("gatewayCpus", "gatewayMemory", 0.5, "256Mi"),
    env: envList("gatewayEnv"),
    hostPort: port("gatewayHostPort", 8080),
    // The gateway's own defaults and ranges (its variables ROUTER_REQUEST_TIMEOUT_MS and
    // GATEWAY_RATE_LIMIT_*), but whole numbers; a burst of 0 leaves the gateway's default.
    requestTimeoutMs: contractInt("gatewayRequestTimeoutMs", GATEWAY_ENV.routerRequestTimeoutMs),
    rateLimitRps: contractInt("gatewayRateLimitRps", GATEWAY_ENV.rateLimitRps),
    rateLimitBurst: contractInt("gatewayRateLimitBurst", GATEWAY_ENV.rateLimitBurst, 0),
    tokenTenants: [] as string[],
  };
  if (gateway.rateLimitBurst > 0 && gateway.rateLimitRps === 0) {
    r.problem(
      `${key("gatewayRateLimitBurst")} is ${gateway.rateLimitBurst} but ${key("gatewayRateLimitRps")} is 0 (rate limiting off); set the rate too`,
    );
  }
  // The tokens are validated here (problems never quote a token) but only the tenant names leave the
  // parser: readConfig hands the value on as a secret Output.
  const tokensRaw = raw[key("gatewayTenantTokens")];
  if (tokensRaw !== undefined) {
    const parsed = parseGatewayTenantTokens(tokensRaw);
    parsed.problems.forEach((p) => r.problem(p));
    gateway.tokenTenants = Object.keys(parsed.tokens);
  }
  const router = {
    image: serviceImage("routerImage", "router"),
    replicas: r.int(key("routerReplicas"), 1, { min: 1, max: 16 }),
    limits: limits("routerCpus", "routerMemory", 0.5, "256Mi"),
    env: envList("routerEnv"),
    faultsEnabled: r.bool(key("routerFaultsEnabled"), ROUTER_ENV.faultsEnabled.default),
  };

  const grafanaEnabled = r.bool(key("grafanaEnabled"), true);
  const observability = {
    scrapeIntervalSeconds: r.int(key("scrapeIntervalSeconds"), 15, { min: 1, max: 3600 }),
    alertWebhookUrl: r.string(key("alertWebhookUrl"), "http://127.0.0.1:9/alerts"),
    prometheus: {
      image: image("prometheusImage", DEFAULTS.prometheusImage),
      hostPort: port("prometheusHostPort", 9090),
    },
    alertmanager: {
      image: image("alertmanagerImage", DEFAULTS.alertmanagerImage),
      hostPort: port("alertmanagerHostPort", 9093),
    },
    blackbox: { image: image("blackboxImage", DEFAULTS.blackboxImage) },
    grafana: {
      enabled: grafanaEnabled,
      image: image("grafanaImage", DEFAULTS.grafanaImage),
      hostPort: port("grafanaHostPort", 3000),
    },
    natsExporter: {
      enabled: r.bool(key("natsExporterEnabled"), true),
      image: image("natsExporterImage", DEFAULTS.natsExporterImage),
    },
    cadvisor: {
      enabled: r.bool(key("cadvisorEnabled"), true),
      image: image("cadvisorImage", DEFAULTS.cadvisorImage),
    },
    loki: {
      enabled: r.bool(key("lokiEnabled"), true),
      image: image("lokiImage", DEFAULTS.lokiImage),
      promtailImage: image("promtailImage", DEFAULTS.promtailImage),
    },
  };
  if (!/^https?:\/\/\S+$/.test(observability.alertWebhookUrl)) {
    r.problem(
      `${key("alertWebhookUrl")} must be an http(s) URL, got ${JSON.stringify(observability.alertWebhookUrl)}`,
    );
  }

  // Published host ports must not collide (gateway replica i is published on gatewayHostPort + i).
  const published: [string, number][] = [
    ...Array.from({ length: gatewayReplicas }, (_, i): [string, number] => [
      i === 0 ? key("gatewayHostPort") : `${key("gatewayHostPort")}+${i} (gateway replica ${i})`,
      gateway.hostPort + i,
    ]),
    [key("prometheusHostPort"), observability.prometheus.hostPort],
    [key("alertmanagerHostPort"), observability.alertmanager.hostPort],
    ...(grafanaEnabled ? [[key("grafanaHostPort"), observability.grafana.hostPort] as [string, number]] : []),
  ];
  for (let i = 0; i < published.length; i++) {
    for (let j = i + 1; j < published.length; j++) {
      if (published[i][1] === published[j][1]) {
        r.problem(
          `${published[j][0]} (${published[j][1]}) collides with ${published[i][0]}; host ports must differ`,
        );
      }
    }
  }
  if (gateway.hostPort + gatewayReplicas - 1 > 65535) {
    r.problem(`${key("gatewayHostPort")} + gatewayReplicas - 1 must be at most 65535`);
  }

  const validationTenant = r.string(key("validationTenant"), "tenant-a");
  const validationEnabled = r.bool(key("validationEnabled"), true);
  if (
    validationEnabled &&
    gateway.tokenTenants.length > 0 &&
    !gateway.tokenTenants.includes(validationTenant)
  ) {
    r.problem(
      `${key("validationTenant")} ${JSON.stringify(validationTenant)} has no token in ${key("gatewayTenantTokens")}: the smoke test would be refused with 401`,
    );
  }
  const linkProxy = {
    enabled: r.bool(key("linkProxyEnabled"), false),
    image: image("linkProxyImage", DEFAULTS.linkProxyImage),
  };
  if (linkProxy.enabled && target !== "docker") {
    r.problem(`${key("linkProxyEnabled")} is supported on the docker target only, got target ${target}`);
  }
  const config: StackConfig = {
    target,
    stack,
    bindAddress,
    nats: {
      replicas: natsReplicas,
      image: image("natsImage", DEFAULTS.natsImage),
      user: natsUser,
      limits: limits("natsCpus", "natsMemory", 0.5, "256Mi"),
      retainVolumes: r.bool(key("natsRetainVolumes"), false),
      streamReplicas: natsReplicas,
    },
    gateway,
    router,
    linkProxy,
    observability,
    validation: { enabled: validationEnabled, tenant: validationTenant },
  };
  // The cloud targets' own keys, read by the same reader: one ConfigError for every bad key.
  let typed: TargetConfig;
  if (target === "aws") typed = { ...config, target, aws: parseAwsSettings(r, config) };
  else if (target === "kubernetes")
    typed = { ...config, target, kubernetes: parseKubernetesSettings(r, config) };
  else typed = { ...config, target };
  r.done();
  return typed;
}

/**
 * The stack's config read from Pulumi, plus the secrets as secret Outputs: the NATS password (absent:
 * generated) and the gateway's tenant tokens (absent: no authentication).
 */
export interface LoadedConfig<C extends TargetConfig = TargetConfig> {
  config: C;
  natsPassword?: pulumi.Output<string>;
  /** tenant → bearer token (`gatewayTenantTokens`), a secret. */
  tenantTokens?: pulumi.Output<Record<string, string>>;
}

/** Reads the project's config from the Pulumi runtime; throws ConfigError naming every bad key. */
export function readConfig(): LoadedConfig {
  const raw: RawConfig = {};
  for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
    // The password never enters the pure parser: it stays a secret Output end to end.
    if (k !== key("natsPassword")) raw[k] = v;
  }
  const config = parseConfig(raw, pulumi.getStack());
  const cfg = new pulumi.Config(PROJECT);
  const natsPassword = cfg.getSecret("natsPassword");
  // Validated above from the plain value (problems never quote a token); used only as a secret Output.
  const tenantTokens = cfg.getSecret("gatewayTenantTokens")?.apply((v) => parseGatewayTenantTokens(v).tokens);
  return { config, natsPassword, tenantTokens: tenantTokens && pulumi.secret(tenantTokens) };
}

export { ConfigError };

/** What a target hands a gateway or a router from the config: its kind's settings, image and limits. */
type ServiceArgsOf<S> = S & { image: ImageSource; replicas: number; limits: Limits; extraEnv: string[] };

/**
 * The settings of one service kind (BeamlineService's args, serviceEnv's options) from the loaded config,
 * so every target configures the services alike: the gateway gets the tenant tokens (a secret Output).
 */
export function serviceArgs(loaded: LoadedConfig, kind: "gateway"): ServiceArgsOf<GatewaySettings>;
export function serviceArgs(loaded: LoadedConfig, kind: "router"): ServiceArgsOf<RouterSettings>;
export function serviceArgs(
  loaded: LoadedConfig,
  kind: ServiceKind,
): ServiceArgsOf<GatewaySettings> | ServiceArgsOf<RouterSettings>;
export function serviceArgs(
  { config, tenantTokens }: LoadedConfig,
  kind: ServiceKind,
): ServiceArgsOf<GatewaySettings> | ServiceArgsOf<RouterSettings> {
  const s = config[kind];
  const common = { image: s.image, replicas: s.replicas, limits: s.limits, extraEnv: s.env };
  return kind === "gateway"
    ? {
        kind,
        ...common,
        requestTimeoutMs: config.gateway.requestTimeoutMs,
        rateLimitRps: config.gateway.rateLimitRps,
        rateLimitBurst: config.gateway.rateLimitBurst,
        tenantTokens,
      }
    : {
        kind,
        ...common,
        faultsEnabled: config.router.faultsEnabled,
        streamReplicas: config.nats.streamReplicas,
      };
}
