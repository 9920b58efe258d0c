// NatsCluster: 1 or 3 NATS servers with JetStream on named volumes, cluster routes between them, client
// auth, the monitoring port and a health check. The server config is rendered by a pure function and
// references the credentials as environment variables ($NATS_USER/$NATS_PASSWORD, which nats-server
// resolves itself), so the uploaded file holds no secret and its changes stay readable in the preview.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Limits } from "./types";
import { GATE_TIMING, labels } from "./common";
import { containerArgs } from "./docker";
import type { PartSpec } from "./spec";

export const NATS_CLIENT_PORT = 4222;
export const NATS_CLUSTER_PORT = 6222;
export const NATS_MONITOR_PORT = 8222;
export const NATS_CONFIG_PATH = "/etc/nats/nats.conf";
export const NATS_STORE_DIR = "/data/jetstream";

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
export function renderNatsConfig(o: NatsConfigOptions): string {
  const host = o.host ?? "0.0.0.0";
  const lines = [
    `# Rendered by components/nats.ts for ${o.serverName}; credentials come from the environment.`,
    `server_name: ${o.serverName}`,
    `listen: ${host}:${o.clientPort ?? NATS_CLIENT_PORT}`,
    `http: ${host}:${o.monitorPort ?? NATS_MONITOR_PORT}`,
    "",
    "authorization {",
    "  user: $NATS_USER",
    "  password: $NATS_PASSWORD",
    "}",
    "",
    "jetstream {",
    `  store_dir: "${o.storeDir ?? NATS_STORE_DIR}"`,
    `  max_file_store: ${o.maxFileStore ?? "1G"}`,
    "}",
  ];
  if (o.nodes.length > 1) {
    lines.push(
      "",
      "cluster {",
      `  name: ${o.clusterName}`,
      `  listen: ${host}:${o.clusterPort ?? NATS_CLUSTER_PORT}`,
      "  routes: [",
      ...o.nodes.filter((n) => n !== o.serverName).map((n) => `    nats-route://${n}:${NATS_CLUSTER_PORT}`),
      "  ]",
      "}",
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * A value as nats-server reads it from an environment variable that its config references. nats-server
 * parses such a value as config, not as text: a generated password such as "1T8PD5…" reads as the size
 * "1T" followed by garbage and the server exits on its config (8 of 2,000 random 32-character
 * passwords; one failed a CI deploy), "12345678" reads as an integer. Quoted, every value is a string;
 * the escapes are those of nats-server's quoted strings.
 */
export function natsConfigString(value: string): string {
  const bad = [...value].find((c) => c < " " && !"\t\n\r".includes(c));
  if (bad !== undefined)
    throw new Error(
      `NATS credential: control character U+${bad.charCodeAt(0).toString(16).padStart(4, "0")} cannot be quoted for nats-server`,
    );
  const escaped = value
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/\n/g, "\\n")
    .replace(/\t/g, "\\t")
    .replace(/\r/g, "\\r");
  return `"${escaped}"`;
}

/** DNS names (network aliases) of the nodes: nats-0, nats-1, ... */
export function natsNodeNames(replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `nats-${i}`);
}

/** Client URL list as services inside the stack network use it (NATS_URL accepts a comma list). */
export function natsClientUrl(replicas: number): string {
  return natsNodeNames(replicas)
    .map((n) => `nats://${n}:${NATS_CLIENT_PORT}`)
    .join(",");
}

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
export function natsSpec(o: NatsSpecOptions): PartSpec {
  return {
    role: "nats",
    image: { kind: "image", name: o.image ?? "" },
    command: [
      "nats-server",
      "--config",
      NATS_CONFIG_PATH,
      ...(o.advertise
        ? [
            "--client_advertise",
            `${o.advertise}:${o.clientPort ?? NATS_CLIENT_PORT}`,
            "--cluster_advertise",
            `${o.advertise}:${o.clusterPort ?? NATS_CLUSTER_PORT}`,
          ]
        : []),
    ],
    env: [
      { name: "NATS_USER", secret: { key: "NATS_SERVER_USER", value: natsConfigString(o.user) } },
      {
        name: "NATS_PASSWORD",
        secret: { key: "NATS_SERVER_PASSWORD", value: pulumi.output(o.password).apply(natsConfigString) },
      },
    ],
    ports: [
      { name: "client", port: o.clientPort ?? NATS_CLIENT_PORT },
      { name: "cluster", port: o.clusterPort ?? NATS_CLUSTER_PORT },
      { name: "monitor", port: o.monitorPort ?? NATS_MONITOR_PORT },
    ],
    health: { port: o.monitorPort ?? NATS_MONITOR_PORT, path: "/healthz?js-enabled-only=true" },
    limits: o.limits,
    files: [{ path: NATS_CONFIG_PATH, content: renderNatsConfig(o) }],
    volumes: [{ kind: "persistent", name: "jetstream", path: o.storeDir ?? NATS_STORE_DIR }],
  };
}

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

export class NatsCluster extends pulumi.ComponentResource {
  public readonly containers: docker.Container[];
  public readonly volumes: docker.Volume[];
  /** Node aliases on the stack network, in order. */
  public readonly nodeNames: string[];
  public readonly containerNames: pulumi.Output<string[]>;
  public readonly volumeNames: pulumi.Output<string[]>;

  constructor(name: string, args: NatsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:NatsCluster", name, {}, opts);
    const replicas = args.replicas ?? 1;
    const user = args.user ?? "beamline";
    this.nodeNames = natsNodeNames(replicas);

    this.volumes = [];
    this.containers = [];
    this.nodeNames.forEach((node, i) => {
      const place = args.nodes?.[i];
      const placed = place ? { provider: place.provider } : {};
      // A separate volume resource: replacing the container (new image, new config) keeps the store.
      const volume = new docker.Volume(
        `${name}-${node.slice("nats-".length)}-data`,
        { name: `${args.namePrefix}-${node}-data`, labels: labels(args.stack, "nats") },
        { parent: this, retainOnDelete: args.retainVolumes ?? false, ...placed },
      );
      const spec = natsSpec({
        serverName: node,
        nodes: this.nodeNames,
        clusterName: `${args.namePrefix}-nats`,
        maxFileStore: args.maxFileStore,
        user,
        password: args.password,
        limits: args.limits,
        advertise: place?.hostName,
      });
      const container = new docker.Container(
        `${name}-${node.slice("nats-".length)}`,
        containerArgs(spec, {
          stack: args.stack,
          namePrefix: args.namePrefix,
          network: place?.network ?? args.network,
          name: node,
          image: place?.image ?? args.image,
          // GATE_TIMING: the services start only once every node is healthy, so this probe is on
          // `up`'s critical path.
          timing: GATE_TIMING,
          volumes: { jetstream: volume.name },
          // Published on the host so routes and clients on other hosts reach this node.
          ports: place?.hostName
            ? spec.ports.map((p) => ({ internal: p.port, external: p.port }))
            : undefined,
        }),
        // Fixed names: the old container must go before its replacement takes the name.
        { parent: this, deleteBeforeReplace: true, ...placed },
      );
      this.volumes.push(volume);
      this.containers.push(container);
    });
    this.containerNames = pulumi.all(this.containers.map((c) => c.name));
    this.volumeNames = pulumi.all(this.volumes.map((v) => v.name));
    this.registerOutputs({ containerNames: this.containerNames, volumeNames: this.volumeNames });
  }
}
