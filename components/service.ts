// BeamlineService: the gateway or the router, from any image or built from the repo's Dockerfile, as
// N replicas with env, limits, a health check (bash's /dev/tcp for images built from the repo, else
// `node -e fetch`: healthProbe) and a restart policy. The environment is pure (serviceEnv) and the
// password-bearing list is a secret as a whole.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import {
  envEntry,
  GATEWAY_ENV,
  HTTP_ROUTES,
  NATS_ENV,
  renderTenantTokens,
  ROUTER_ENV,
  SERVICE_PORTS,
  type ServiceKind,
} from "../services/common/service-contract";
import { GATE_TIMING, HealthProbe } from "./common";
import { containerArgs } from "./docker";
import { envEntries, type EnvVar, type PartSpec } from "./spec";
import type { ImageSource, Limits } from "./types";

// The services' contract (variable names, defaults, ports, routes) lives with the services.
export { SERVICE_PORTS, type ServiceKind };

/**
 * Repository root: the default build context of the service Dockerfiles (they copy dist/). Inside the
 * npm package this is the package's dist/ folder, so programs using the package pass `image.context`.
 */
export const REPO_ROOT = path.resolve(__dirname, "..");

/** How a service reaches NATS. */
export interface NatsConnection {
  /** NATS_URL: one URL or a comma list, as the service reaches NATS (e.g. `natsClientUrl(3)`). */
  url: string;
  /** NATS_USER. */
  user: string;
  /** Secret; NATS_PASSWORD, among the secret env entries. */
  password: pulumi.Input<string>;
}

/** What only the gateway is configured with. */
export interface GatewaySettings {
  /** The HTTP gateway (API port 8080). */
  kind: "gateway";
  /** How long to wait for the router (ROUTER_REQUEST_TIMEOUT_MS); unset = the gateway's default. */
  requestTimeoutMs?: number;
  /** Per-tenant rate limit, requests/s (GATEWAY_RATE_LIMIT_RPS); 0 or unset = off. */
  rateLimitRps?: number;
  /** Per-tenant burst (GATEWAY_RATE_LIMIT_BURST); 0 or unset = the gateway's default, ceil(rps). */
  rateLimitBurst?: number;
  /**
   * Tenant → bearer token, a secret (GATEWAY_TENANT_TOKENS, among the secret env entries). Unset: no
   * authentication. Not part of serviceEnv's plain environment.
   */
  tenantTokens?: pulumi.Input<Record<string, string>>;
}

/** What only the router is configured with. */
export interface RouterSettings {
  /** The router (metrics and health port 9091). */
  kind: "router";
  /** Accept fault-injection control messages (ROUTER_FAULTS_ENABLED; tests only). Default false. */
  faultsEnabled?: boolean;
  /**
   * JetStream replicas of the intake stream it creates (ROUTER_JETSTREAM_REPLICAS, 1-5; at most the NATS
   * nodes). Default: unset, the router's default 1.
   */
  streamReplicas?: number;
}

/** The settings of one service kind: those of the other kind do not type-check. */
export type ServiceKindSettings = GatewaySettings | RouterSettings;

export type ServiceEnvOptions = ServiceKindSettings & {
  /** The password is not part of the plain environment (serviceSpec adds it as a secret). */
  nats: Omit<NatsConnection, "password">;
  /** Extra "NAME=value" entries from config; later entries win in docker, so they override defaults. */
  extraEnv?: string[];
};

/** The service's environment without the secrets (those go in front, see serviceSpec). Deterministic. */
export function serviceEnv(o: ServiceEnvOptions): string[] {
  const env = [envEntry(NATS_ENV.url, o.nats.url), envEntry(NATS_ENV.user, o.nats.user)];
  if (o.kind === "gateway") {
    const G = GATEWAY_ENV;
    env.push(envEntry(G.port, SERVICE_PORTS.gateway));
    env.push(envEntry(G.routerRequestTimeoutMs, o.requestTimeoutMs ?? G.routerRequestTimeoutMs.default!));
    // Only when on: a stack without limits keeps the environment (and its containers) it had.
    if (o.rateLimitRps) {
      env.push(envEntry(G.rateLimitRps, o.rateLimitRps));
      if (o.rateLimitBurst) env.push(envEntry(G.rateLimitBurst, o.rateLimitBurst));
    }
  } else {
    const R = ROUTER_ENV;
    env.push(envEntry(R.metricsPort, SERVICE_PORTS.router));
    env.push(envEntry(R.faultsEnabled, o.faultsEnabled ?? R.faultsEnabled.default));
    // The router creates the intake stream (the docker stack starts it before the gateway).
    if (o.streamReplicas !== undefined) env.push(envEntry(R.jetstreamReplicas, o.streamReplicas));
  }
  return [...env, ...(o.extraEnv ?? [])];
}

export type ServiceSpecOptions = ServiceEnvOptions & {
  image: ImageSource;
  limits: Limits;
  nats: NatsConnection;
  /** Health endpoint path on the service port. Default "/health". */
  healthPath?: string;
  /**
   * How the container's health check calls `healthPath`: "bash" (bash's /dev/tcp, ~1 ms, needs bash in
   * the image) or "node" (`node -e fetch(...)`, works in any Node image but costs a Node start-up inside
   * the service's CPU quota every few seconds, which shows in its latency). Default: "bash" for images
   * built from the repo's Dockerfiles (Debian-based), "node" for any other image.
   */
  healthProbe?: HealthProbe;
};

/**
 * The gateway or the router: serviceEnv's variables after the secrets (NATS_PASSWORD, the gateway's
 * GATEWAY_TENANT_TOKENS), so an extra entry can still override anything else; one port (gateway API,
 * router metrics); the health endpoint, and /health + /ready as separate liveness and readiness probes.
 */
export function serviceSpec(o: ServiceSpecOptions): PartSpec {
  const port = SERVICE_PORTS[o.kind];
  const secret = (name: string, value: pulumi.Input<string>): EnvVar => ({
    name,
    secret: { key: name, value },
  });
  const secrets = [secret(NATS_ENV.password.name, o.nats.password)];
  if (o.kind === "gateway" && o.tenantTokens) {
    secrets.push(
      secret(GATEWAY_ENV.tenantTokens.name, pulumi.output(o.tenantTokens).apply(renderTenantTokens)),
    );
  }
  return {
    role: o.kind,
    image: o.image,
    env: [...secrets, ...envEntries(serviceEnv(o))],
    ports: [{ name: o.kind === "gateway" ? "http" : "metrics", port }],
    health: { port, path: o.healthPath ?? HTTP_ROUTES.health },
    probes: { live: HTTP_ROUTES.health, ready: HTTP_ROUTES.ready },
    probeWith: o.healthProbe ?? (o.image.kind === "build" ? "bash" : "node"),
    limits: o.limits,
    files: [],
    volumes: [],
  };
}

/** Network aliases of the replicas: gateway-0, gateway-1, ... */
export function replicaNames(kind: ServiceKind, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${kind}-${i}`);
}

/** A gateway or a router (ServiceSpecOptions: the settings of its kind only) and where it runs. */
export type BeamlineServiceArgs = ServiceSpecOptions & BeamlineServicePlacement;

export interface BeamlineServicePlacement {
  /** Stack name: labels and the built image's tag (`proving-ground/<kind>:<stack>`). */
  stack: string;
  /** Prefix of container names, e.g. "pg-dev". */
  namePrefix: string;
  /** Docker network the containers join (aliases `<kind>-<i>` and `<kind>`). */
  network: pulumi.Input<string>;
  /** Replicas (containers gateway-0..N-1). Default 1. */
  replicas?: number;
  /** Publish replica i's port on `bindAddress:hostPort+i`. Default: not published. */
  publish?: { bindAddress: string; hostPort: number };
  /** Docker restart policy. Default "unless-stopped". */
  restart?: string;
  /** Build the image on `pulumi preview` too. Default false (previews stay fast). */
  buildOnPreview?: boolean;
  /**
   * Resources the containers are created after (health-gated NATS, the router). Only the containers
   * wait: the image is built or pulled meanwhile. (`dependsOn` in the component's options would hold
   * back the image too: the component registers only once those resources exist, its children after it.)
   * Default: none.
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
      const context = args.image.context === undefined ? REPO_ROOT : path.resolve(args.image.context);
      const built = new docker.Image(
        `${name}-image`,
        {
          imageName: `proving-ground/${args.kind}:${args.stack}`,
          build: {
            context,
            dockerfile: path.join(context, args.image.dockerfile),
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

    const spec = serviceSpec(args);

    this.aliases = replicaNames(args.kind, replicas);
    this.containers = this.aliases.map(
      (alias, i) =>
        new docker.Container(
          `${name}-${i}`,
          containerArgs(spec, {
            stack: args.stack,
            namePrefix: args.namePrefix,
            network: args.network,
            name: alias,
            aliases: [alias, args.kind],
            image: this.imageRef,
            // The gateway and the router are on `up`'s critical path.
            timing: GATE_TIMING,
            ports: args.publish
              ? [{ internal: port, external: args.publish.hostPort + i, ip: args.publish.bindAddress }]
              : [],
            restart: args.restart,
            extraLabels: [{ label: "proving-ground.image-digest", value: this.imageDigest }],
          }),
          // Fixed names and host ports: remove the old container before its replacement starts.
          { parent: this, deleteBeforeReplace: true, dependsOn: args.startAfter },
        ),
    );
    this.containerNames = pulumi.all(this.containers.map((c) => c.name));
    this.registerOutputs({ imageRef: this.imageRef, containerNames: this.containerNames });
  }
}
