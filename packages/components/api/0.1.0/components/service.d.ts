import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_PORTS, type ServiceKind } from "../services/common/service-contract";
import { HealthProbe } from "./common";
import { type PartSpec } from "./spec";
import type { ImageSource, Limits } from "./types";
export { SERVICE_PORTS, type ServiceKind };
/**
 * Repository root: the default build context of the service Dockerfiles (they copy dist/). Inside the
 * npm package this is the package's dist/ folder, so programs using the package pass `image.context`.
 */
export declare const REPO_ROOT: string;
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
export declare function serviceEnv(o: ServiceEnvOptions): string[];
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
export declare function serviceSpec(o: ServiceSpecOptions): PartSpec;
/** Network aliases of the replicas: gateway-0, gateway-1, ... */
export declare function replicaNames(kind: ServiceKind, replicas: number): string[];
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
    publish?: {
        bindAddress: string;
        hostPort: number;
    };
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
export declare class BeamlineService extends pulumi.ComponentResource {
    readonly containers: docker.Container[];
    /** The image reference the containers run. */
    readonly imageRef: pulumi.Output<string>;
    /** Digest of the built image ("" for an existing image): labels the containers so a rebuild replaces them. */
    readonly imageDigest: pulumi.Output<string>;
    readonly containerNames: pulumi.Output<string[]>;
    readonly aliases: string[];
    constructor(name: string, args: BeamlineServiceArgs, opts?: pulumi.ComponentResourceOptions);
}
