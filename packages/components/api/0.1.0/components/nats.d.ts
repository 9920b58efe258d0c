import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Limits } from "./types";
import type { PartSpec } from "./spec";
export declare const NATS_CLIENT_PORT = 4222;
export declare const NATS_CLUSTER_PORT = 6222;
export declare const NATS_MONITOR_PORT = 8222;
export declare const NATS_CONFIG_PATH = "/etc/nats/nats.conf";
export declare const NATS_STORE_DIR = "/data/jetstream";
export interface NatsConfigOptions {
    /** Unique server name (JetStream needs one per node), also its DNS alias on the stack network. */
    serverName: string;
    /** All node names of the cluster, this one included; one entry means no cluster block. */
    nodes: string[];
    clusterName: string;
    /** JetStream file store limit, e.g. "1G". */
    maxFileStore?: string;
    /** Overrides for running the same config outside a container (tests on loopback). */
    clientPort?: number;
    monitorPort?: number;
    clusterPort?: number;
    storeDir?: string;
    /** Listen address. Default 0.0.0.0 (all interfaces of the container). */
    host?: string;
}
/** nats.conf for one node; deterministic (same input, same bytes). */
export declare function renderNatsConfig(o: NatsConfigOptions): string;
/**
 * A value as nats-server reads it from an environment variable that its config references. nats-server
 * parses such a value as config, not as text: a generated password such as "1T8PD5…" reads as the size
 * "1T" followed by garbage and the server exits on its config (8 of 2,000 random 32-character
 * passwords; one failed a CI deploy), "12345678" reads as an integer. Quoted, every value is a string;
 * the escapes are those of nats-server's quoted strings.
 */
export declare function natsConfigString(value: string): string;
/** DNS names (network aliases) of the nodes: nats-0, nats-1, ... */
export declare function natsNodeNames(replicas: number): string[];
/** Client URL list as services inside the stack network use it (NATS_URL accepts a comma list). */
export declare function natsClientUrl(replicas: number): string;
export interface NatsSpecOptions extends NatsConfigOptions {
    /** Image reference for runtimes that pull by name; the Docker component runs its own image input. */
    image?: string;
    /** Client user and password (keep the password a secret Output). */
    user: string;
    password: pulumi.Input<string>;
    limits: Limits;
    /**
     * The name other hosts reach this node by, advertised to clients and cluster peers instead of the
     * container's own address (which only its host can reach). Default: none (the address is reachable).
     */
    advertise?: string;
}
/**
 * One NATS server: `nats-server --config nats.conf` (renderNatsConfig) with JetStream on a persistent
 * volume. The credentials are environment variables quoted for nats-server (natsConfigString), stored
 * under NATS_SERVER_USER/NATS_SERVER_PASSWORD where secrets are objects. Healthy once this node serves
 * clients with JetStream enabled, without waiting for the other nodes (they may start after this one).
 */
export declare function natsSpec(o: NatsSpecOptions): PartSpec;
export interface NatsClusterArgs {
    /** Stack name: labels and object names. */
    stack: string;
    /** Prefix of container and volume names, e.g. "pg-dev". */
    namePrefix: string;
    /** Docker network the nodes join (aliases nats-0..N). */
    network: pulumi.Input<string>;
    /** Image with nats-server on PATH (official nats images pass `nats-server ...` through their entrypoint). */
    image: pulumi.Input<string>;
    /** 1 (single node) or 3 (JetStream cluster). Default 1. */
    replicas?: 1 | 3;
    /** Client user. Default "beamline". */
    user?: string;
    /** Client password; keep it a secret Output. */
    password: pulumi.Input<string>;
    /** CPU and memory limits per node. */
    limits: Limits;
    /** Keep the JetStream volumes on `pulumi destroy` (retainOnDelete). Default false. */
    retainVolumes?: boolean;
    /** JetStream file store limit per node. Default "1G". */
    maxFileStore?: string;
    /**
     * Where each node runs, by index, when not on the component's Docker Engine and network (the aws
     * target: one node per host). Default: every node on `network` through the component's provider.
     */
    nodes?: NatsNodePlacement[];
}
/** One node's Docker Engine, network, image and how other hosts reach it. */
export interface NatsNodePlacement {
    /** The node's Docker Engine (its container and volume). */
    provider: docker.Provider;
    /** Network on that engine. Default: the component's `network`. */
    network?: pulumi.Input<string>;
    /** Image pulled on that engine. Default: the component's `image`. */
    image?: pulumi.Input<string>;
    /**
     * Host name the other hosts resolve to this node's host: the node publishes its client, cluster and
     * monitoring ports on the host and advertises this name. Default: none (unpublished, not advertised).
     */
    hostName?: string;
}
export declare class NatsCluster extends pulumi.ComponentResource {
    readonly containers: docker.Container[];
    readonly volumes: docker.Volume[];
    /** Node aliases on the stack network, in order. */
    readonly nodeNames: string[];
    readonly containerNames: pulumi.Output<string[]>;
    readonly volumeNames: pulumi.Output<string[]>;
    constructor(name: string, args: NatsClusterArgs, opts?: pulumi.ComponentResourceOptions);
}
