// The shape of every stack's outputs. Validation, load and chaos tools read these (from
// `pulumi stack output --json --show-secrets` or a file), so all targets export the same keys.
import type * as pulumi from "@pulumi/pulumi";

export type Role =
  | "nats"
  | "router"
  | "gateway"
  | "prometheus"
  | "alertmanager"
  | "grafana"
  | "blackbox"
  | "validation"
  | "link-proxy";

/** How chaos tooling reaches one role's instances. */
export interface ChaosTarget {
  driver: "docker" | "process" | "kubernetes" | "ssm";
  /** docker: container names. */
  containers?: string[];
  /** docker: networks the containers are attached to. */
  networks?: string[];
  /** docker: named volumes (e.g. JetStream storage). */
  volumes?: string[];
  /** process: PIDs, and how to start each instance again (same index) after a kill. */
  pids?: number[];
  commands?: { cmd: string; args: string[]; env?: Record<string, string>; cwd?: string }[];
  /** kubernetes: namespace and label selector; ssm: instance ids and region. */
  namespace?: string;
  selector?: string;
  /** kubernetes: the kubeconfig file the stack's provider was given (default: $KUBECONFIG, ~/.kube/config). */
  kubeconfig?: string;
  instanceIds?: string[];
  region?: string;
}

export interface StackOutputs {
  target: "docker" | "aws" | "kubernetes";
  stack: string;
  /** Gateway base URL reachable from where validation runs (127.0.0.1 on the docker target). */
  gatewayUrl: string;
  /** NATS URL as services inside the environment see it (e.g. nats://nats-0:4222). */
  natsUrl: string;
  /** NATS URLs reachable from the host that ran `pulumi up` (docker: container IPs on the stack network). */
  natsHostUrls: string[];
  natsUser: string;
  natsPassword: string;
  /**
   * Gateway bearer tokens per tenant (secret; only when `gatewayTenantTokens` is configured). Validation
   * and chaos tooling send `Authorization: Bearer <token>` with them.
   */
  tenantTokens?: Record<string, string>;
  /** NATS monitoring (HTTP) endpoints reachable from the host. */
  natsMonitorUrls: string[];
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  grafanaUrl?: string;
  /** Router metrics/health endpoints reachable from the host. */
  routerMetricsUrls: string[];
  chaosTargets: Partial<Record<Role, ChaosTarget>>;
  /** Result of the one-shot smoke test run at the end of `up`. */
  validation?: { exitCode: number; logTail: string };
  /**
   * The link proxy between the routers and NATS (docker target with `linkProxyEnabled`): Toxiproxy's API
   * reachable from the host (the container's address on the stack network) and its proxy names, one per
   * NATS node. Chaos adds link latency through it.
   */
  linkProxy?: { apiUrl: string; proxies: string[] };
}

/** Every StackOutputs key; the compiler fails here when StackOutputs gains a key this does not list. */
export const STACK_OUTPUT_KEYS: Record<keyof StackOutputs, true> = {
  target: true,
  stack: true,
  gatewayUrl: true,
  natsUrl: true,
  natsHostUrls: true,
  natsUser: true,
  natsPassword: true,
  tenantTokens: true,
  natsMonitorUrls: true,
  prometheusUrl: true,
  alertmanagerUrl: true,
  grafanaUrl: true,
  routerMetricsUrls: true,
  chaosTargets: true,
  validation: true,
  linkProxy: true,
};

/** Stack outputs as Pulumi values, what every target's builder returns: StackOutputs with each field an Input. */
type OptionalKey = {
  [K in keyof StackOutputs]-?: Record<never, never> extends Pick<StackOutputs, K> ? K : never;
}[keyof StackOutputs];
/** Every key is present (optional ones may be undefined), so index.ts can export them one by one. */
type OutputKey = keyof StackOutputs;
export type StackOutputValues = {
  // (Not `keyof StackOutputs` directly: a homomorphic `-?` map would strip `undefined` from the values.)
  [K in OutputKey]: pulumi.Input<NonNullable<StackOutputs[K]>> | (K extends OptionalKey ? undefined : never);
};
