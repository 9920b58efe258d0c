// BeamlineService: the gateway or the router, from any image or built from the repo's Dockerfile, as
// N replicas with env, limits, a Node-based health check and a restart policy. The environment is pure
// (serviceEnv) and the password-bearing list is a secret as a whole.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { renderTenantTokens, type ImageSource, type Limits } from "../stacks/config";
import { bashHealthcheck, HealthProbe, labels, limitArgs, nodeHealthcheck } from "./common";

export type ServiceKind = "gateway" | "router";

/** Port each service listens on for HTTP (gateway API; router metrics and health). */
export const SERVICE_PORTS: Record<ServiceKind, number> = { gateway: 8080, router: 9091 };

/** Repository root: the build context of the service Dockerfiles (they copy dist/). */
export const REPO_ROOT = path.resolve(__dirname, "..");

export interface ServiceEnvOptions {
  kind: ServiceKind;
  natsUrl: string;
  natsUser: string;
  /** Gateway: how long to wait for the router. */
  requestTimeoutMs?: number;
  /** Gateway: per-tenant rate limit, requests/s (GATEWAY_RATE_LIMIT_RPS); 0 or unset = off. */
  rateLimitRps?: number;
  /** Gateway: per-tenant burst (GATEWAY_RATE_LIMIT_BURST); 0 or unset = the gateway's default, ceil(rps). */
  rateLimitBurst?: number;
  /** Router: accept fault-injection control messages (tests only). */
  faultsEnabled?: boolean;
  /** Router: JetStream replicas of the intake stream it creates (ROUTER_JETSTREAM_REPLICAS). */
  streamReplicas?: number;
  /** Extra "NAME=value" entries from config; later entries win in docker, so they override defaults. */
  extra?: string[];
}

/** The service's environment without the password (that one is appended as a secret). Deterministic. */
export function serviceEnv(o: ServiceEnvOptions): string[] {
  const env = [`NATS_URL=${o.natsUrl}`, `NATS_USER=${o.natsUser}`];
  if (o.kind === "gateway") {
    env.push(`GATEWAY_PORT=${SERVICE_PORTS.gateway}`);
    env.push(`ROUTER_REQUEST_TIMEOUT_MS=${o.requestTimeoutMs ?? 5000}`);
    // Only when on: a stack without limits keeps the environment (and its containers) it had.
    if (o.rateLimitRps) {
      env.push(`GATEWAY_RATE_LIMIT_RPS=${o.rateLimitRps}`);
      if (o.rateLimitBurst) env.push(`GATEWAY_RATE_LIMIT_BURST=${o.rateLimitBurst}`);
    }
  } else {
    env.push(`ROUTER_METRICS_PORT=${SERVICE_PORTS.router}`);
    env.push(`ROUTER_FAULTS_ENABLED=${o.faultsEnabled ? "true" : "false"}`);
    // The router creates the intake stream (the docker stack starts it before the gateway).
    if (o.streamReplicas !== undefined) env.push(`ROUTER_JETSTREAM_REPLICAS=${o.streamReplicas}`);
  }
  return [...env, ...(o.extra ?? [])];
}

/** Network aliases of the replicas: gateway-0, gateway-1, ... */
export function replicaNames(kind: ServiceKind, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${kind}-${i}`);
}

export interface BeamlineServiceArgs {
  kind: ServiceKind;
  stack: string;
  /** Prefix of container names, e.g. "pg-dev". */
  namePrefix: string;
  network: pulumi.Input<string>;
  /** An existing image, or a build of `dockerfile` (relative to the repo root) with BASE_IMAGE. */
  image: ImageSource;
  /** Replicas (containers gateway-0..N-1). Default 1. */
  replicas?: number;
  limits: Limits;
  natsUrl: string;
  natsUser: string;
  /** Secret; appended to the env as NATS_PASSWORD. */
  natsPassword: pulumi.Input<string>;
  /**
   * Gateway: tenant → bearer token, a secret; becomes GATEWAY_TENANT_TOKENS inside the secret env list.
   * Unset: no authentication.
   */
  tenantTokens?: pulumi.Input<Record<string, string>>;
  requestTimeoutMs?: number;
  rateLimitRps?: number;
  rateLimitBurst?: number;
  faultsEnabled?: boolean;
  streamReplicas?: number;
  extraEnv?: string[];
  /** Publish replica i's port on `bindAddress:hostPort+i` (gateway only). Default: not published. */
  publish?: { bindAddress: string; hostPort: number };
  /** Health endpoint path on the service port. Default "/health". */
  healthPath?: string;
  /**
   * How the container's health check calls `healthPath`: "bash" (bash's /dev/tcp, ~1 ms, needs bash in
   * the image) or "node" (`node -e fetch(...)`, works in any Node image but costs a Node start-up inside
   * the service's CPU quota every few seconds, which shows in its latency). Default: "bash" for images
   * built from the repo's Dockerfiles (Debian-based), "node" for any other image.
   */
  healthProbe?: HealthProbe;
  /** Docker restart policy. Default "unless-stopped". */
  restart?: string;
  /** Build the image on `pulumi preview` too. Default false (previews stay fast). */
  buildOnPreview?: boolean;
  /**
   * Resources the containers are created after (health-gated NATS, the router). Only the containers
   * wait: the image is built or pulled meanwhile. (`dependsOn` in the component's options would hold
   * back the image too: the component registers only once those resources exist, its children after it.)
   */
  startAfter?: pulumi.Input<pulumi.Resource>[];
}

export class BeamlineService extends pulumi.ComponentResource {
  public readonly containers: docker.Container[];
  /** The image reference the containers run. */
  public readonly imageRef: pulumi.Output<string>;
  /** Digest of the built image ("" for an existing image): labels the containers so a rebuild replaces them. */
  public readonly imageDigest: pulumi.Output<string>;
  public readonly containerNames: pulumi.Output<string[]>;
  public readonly aliases: string[];

  constructor(name: string, args: BeamlineServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:BeamlineService", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const port = SERVICE_PORTS[args.kind];

    if (args.image.kind === "build") {
      // docker.Image of @pulumi/docker 4 builds through the engine's BuildKit and keeps the image local
      // (skipPush); its repoDigest is then the local image id, which changes with every rebuild.
      const built = new docker.Image(
        `${name}-image`,
        {
          imageName: `proving-ground/${args.kind}:${args.stack}`,
          build: {
            context: REPO_ROOT,
            dockerfile: path.join(REPO_ROOT, args.image.dockerfile),
            args: args.image.baseImage ? { BASE_IMAGE: args.image.baseImage } : {},
            builderVersion: "BuilderBuildKit",
            // The engine's own platform, stated so the provider does not print a reminder on every run.
            platform: `linux/${process.arch === "x64" ? "amd64" : process.arch}`,
          },
          skipPush: true,
          buildOnPreview: args.buildOnPreview ?? false,
        },
        { parent: this },
      );
      this.imageRef = built.imageName;
      this.imageDigest = built.repoDigest;
    } else {
      const remote = new docker.RemoteImage(
        `${name}-image`,
        { name: args.image.name, keepLocally: true },
        { parent: this },
      );
      this.imageRef = remote.imageId;
      this.imageDigest = pulumi.output("");
    }

    const plainEnv = serviceEnv({
      kind: args.kind,
      natsUrl: args.natsUrl,
      natsUser: args.natsUser,
      requestTimeoutMs: args.requestTimeoutMs,
      rateLimitRps: args.rateLimitRps,
      rateLimitBurst: args.rateLimitBurst,
      faultsEnabled: args.faultsEnabled,
      streamReplicas: args.streamReplicas,
      extra: args.extraEnv,
    });
    // The secrets (NATS_PASSWORD, the gateway's GATEWAY_TENANT_TOKENS) go first so an explicit extra env
    // entry can still override anything else; the whole list is a secret.
    const env = pulumi.secret(
      pulumi
        .all([args.natsPassword, args.kind === "gateway" ? args.tenantTokens : undefined])
        .apply(([p, tokens]) => [
          `NATS_PASSWORD=${p}`,
          ...(tokens && Object.keys(tokens).length > 0
            ? [`GATEWAY_TENANT_TOKENS=${renderTenantTokens(tokens)}`]
            : []),
          ...plainEnv,
        ]),
    );

    const healthPath = args.healthPath ?? "/health";
    const probe = args.healthProbe ?? (args.image.kind === "build" ? "bash" : "node");
    const healthcheck =
      probe === "bash"
        ? bashHealthcheck(port, healthPath)
        : nodeHealthcheck(`http://127.0.0.1:${port}${healthPath}`);

    this.aliases = replicaNames(args.kind, replicas);
    this.containers = this.aliases.map(
      (alias, i) =>
        new docker.Container(
          `${name}-${i}`,
          {
            name: `${args.namePrefix}-${alias}`,
            image: this.imageRef,
            envs: env,
            networksAdvanced: [{ name: args.network, aliases: [alias, args.kind] }],
            ports: args.publish
              ? [{ internal: port, external: args.publish.hostPort + i, ip: args.publish.bindAddress }]
              : [],
            healthcheck,
            wait: true,
            waitTimeout: 120,
            restart: args.restart ?? "unless-stopped",
            ...limitArgs(args.limits),
            labels: [
              ...labels(args.stack, args.kind),
              { label: "proving-ground.image-digest", value: this.imageDigest },
            ],
          },
          // Fixed names and host ports: remove the old container before its replacement starts.
          { parent: this, deleteBeforeReplace: true, dependsOn: args.startAfter },
        ),
    );
    this.containerNames = pulumi.all(this.containers.map((c) => c.name));
    this.registerOutputs({ imageRef: this.imageRef, containerNames: this.containerNames });
  }
}
