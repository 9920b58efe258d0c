// The component package the YAML program in ../ uses through `pulumi package add`: one component,
// NatsCluster, with flat, plain Args a package schema can describe, over the NatsCluster of the npm
// package @proving-ground/components (installed from its packed tarball, as any team would). Why a
// wrapper and not that class itself: the Node.js SDK infers the package schema from the constructor's
// Args interface, and NatsClusterArgs has shapes its analyzer rejects ("Union types are not supported
// for component 'NatsCluster' property 'NatsClusterArgs.replicas': type '1 | 3 | undefined'"; `nodes`
// takes docker.Provider objects) and needs a network the caller made. This one makes the network,
// derives the limits and returns the addresses a client on the Docker host connects to.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  limits,
  NATS_CLIENT_PORT,
  NATS_MONITOR_PORT,
  NatsCluster as DockerNatsCluster,
  ROLE_LABEL,
  STACK_LABEL,
} from "@proving-ground/components";

export interface NatsClusterArgs {
  /** Prefix of every Docker object's name (network, containers, volumes), e.g. "yaml-demo". */
  namePrefix: string;
  /** Image with nats-server on PATH, e.g. "nats:2.15.3-alpine". */
  image: pulumi.Input<string>;
  /** Client password; pass a secret. */
  password: pulumi.Input<string>;
  /** Client user. Default "beamline". */
  user?: string;
  /** Number of nodes: 1 (single server) or 3 (JetStream cluster). Default 1. */
  replicas?: number;
  /** CPU cores per node. Default 0.5. */
  cpus?: number;
  /** Memory limit per node, docker ("512m") or Kubernetes ("256Mi") notation. Default "256Mi". */
  memory?: string;
}

/** A NATS cluster with JetStream and client authentication on its own Docker network. */
export class NatsCluster extends pulumi.ComponentResource {
  /** The Docker network the nodes are on (aliases nats-0, nats-1, ...). */
  public readonly networkName: pulumi.Output<string>;
  /** Client URLs inside that network, as services on it use them. */
  public readonly natsUrl: pulumi.Output<string>;
  /** Client URLs by container address, reachable from the Docker host. */
  public readonly natsHostUrls: pulumi.Output<string[]>;
  /** Monitoring URLs (/healthz, /varz) by container address, reachable from the Docker host. */
  public readonly natsMonitorUrls: pulumi.Output<string[]>;
  /** Container names, in node order. */
  public readonly containerNames: pulumi.Output<string[]>;
  /** JetStream volume names, in node order. */
  public readonly volumeNames: pulumi.Output<string[]>;
  /** The Docker label on every object of this cluster, `proving-ground.stack=<project>-<stack>`. */
  public readonly stackLabel: pulumi.Output<string>;

  constructor(name: string, args: NatsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("beamline-nats:index:NatsCluster", name, {}, opts);
    const replicas = args.replicas ?? 1;
    if (replicas !== 1 && replicas !== 3) throw new Error(`replicas must be 1 or 3, got ${replicas}`);
    // The label value every Docker object carries (proving-ground.stack=<value>): the consuming
    // program's project and stack, so two programs on one Docker Engine keep apart.
    const stack = `${pulumi.getProject()}-${pulumi.getStack()}`;

    const network = new docker.Network(
      `${name}-network`,
      {
        name: args.namePrefix,
        driver: "bridge",
        labels: [
          { label: STACK_LABEL, value: stack },
          { label: ROLE_LABEL, value: "network" },
        ],
      },
      { parent: this },
    );
    const nats = new DockerNatsCluster(
      `${name}-nats`,
      {
        stack,
        namePrefix: args.namePrefix,
        network: network.name,
        image: args.image,
        replicas,
        user: args.user,
        password: args.password,
        limits: limits(args.cpus ?? 0.5, args.memory ?? "256Mi"),
      },
      { parent: this },
    );

    const ips = pulumi
      .all([network.name, pulumi.all(nats.containers.map((c) => c.networkDatas))])
      .apply(([net, all]) =>
        all.map((d, i) => {
          const entry = (d ?? []).find((n) => n.networkName === net);
          if (!entry?.ipAddress) throw new Error(`NATS node ${i} has no address on network ${net}`);
          return entry.ipAddress;
        }),
      );
    this.networkName = network.name;
    this.natsUrl = pulumi.output(nats.nodeNames.map((n) => `nats://${n}:${NATS_CLIENT_PORT}`).join(","));
    this.natsHostUrls = ips.apply((a) => a.map((ip) => `nats://${ip}:${NATS_CLIENT_PORT}`));
    this.natsMonitorUrls = ips.apply((a) => a.map((ip) => `http://${ip}:${NATS_MONITOR_PORT}`));
    this.containerNames = nats.containerNames;
    this.volumeNames = nats.volumeNames;
    this.stackLabel = pulumi.output(`${STACK_LABEL}=${stack}`);
    this.registerOutputs({
      networkName: this.networkName,
      natsUrl: this.natsUrl,
      natsHostUrls: this.natsHostUrls,
      natsMonitorUrls: this.natsMonitorUrls,
      containerNames: this.containerNames,
      volumeNames: this.volumeNames,
      stackLabel: this.stackLabel,
    });
  }
}
