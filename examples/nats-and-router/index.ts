// A platform team's own Pulumi program on the proving-ground components, installed from their npm package
// (@proving-ground/components): a NATS cluster (1 node, or 3 with `natsReplicas: 3`) and one router of the
// team's own image, on a Docker network of its own. No gateway and no monitoring: the team's programs talk
// to the router over NATS, on the client port this program publishes on 127.0.0.1.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  BeamlineService,
  limits,
  NATS_CLIENT_PORT,
  NatsCluster,
  natsClientUrl,
  ROLE_LABEL,
  STACK_LABEL,
} from "@proving-ground/components";

const config = new pulumi.Config();
// Declared in Pulumi.yaml with their defaults; routerImage has none and is required.
const routerImage = config.require("routerImage");
const natsImage = config.require("natsImage");
const natsReplicas = config.requireNumber("natsReplicas");
if (natsReplicas !== 1 && natsReplicas !== 3) {
  throw new Error(`nats-and-router:natsReplicas must be 1 or 3, got ${natsReplicas}`);
}
const natsHostPort = config.requireNumber("natsHostPort", { min: 1024, max: 65535 - (natsReplicas - 1) });
const natsUser = config.require("natsUser");

// One name for everything this stack makes: the prefix of its Docker objects and the value of the
// components' stack label, which `docker ps --filter label=proving-ground.stack=<name>` selects on.
const name = `${pulumi.getProject()}-${pulumi.getStack()}`;
const bindAddress = "127.0.0.1";

const network = new docker.Network("network", {
  name,
  driver: "bridge",
  labels: [
    { label: STACK_LABEL, value: name },
    { label: ROLE_LABEL, value: "network" },
  ],
});

// RandomPassword's result is a secret: it stays encrypted in the state and in the containers' env lists.
const password = new random.RandomPassword("nats-password", { length: 32, special: false });

/**
 * NatsCluster publishes no port when its nodes share one Docker Engine (its services reach it on the
 * network). This program's clients are on the host, so a transform adds the client port of node i on
 * bindAddress:natsHostPort+i to each NATS container the component creates. Transforms run before the
 * resource is registered: the preview shows the published port as a plain input of the container.
 */
function publishClientPort(hostPort: number): pulumi.ResourceTransform {
  return ({ type, name: resourceName, props, opts }) => {
    if (type !== "docker:index/container:Container") return undefined;
    const node = Number(resourceName.slice(resourceName.lastIndexOf("-") + 1));
    return {
      props: {
        ...props,
        ports: [{ internal: NATS_CLIENT_PORT, external: hostPort + node, ip: bindAddress }],
      },
      opts,
    };
  };
}

const nats = new NatsCluster(
  "nats",
  {
    stack: name,
    namePrefix: name,
    network: network.name,
    // keepLocally: destroy leaves the image on the machine (it may be shared with other stacks).
    image: new docker.RemoteImage("nats-image", { name: natsImage, keepLocally: true }).imageId,
    replicas: natsReplicas,
    user: natsUser,
    password: password.result,
    limits: limits(0.5, "128Mi"),
  },
  { transforms: [publishClientPort(natsHostPort)] },
);

const router = new BeamlineService("router", {
  kind: "router",
  stack: name,
  namePrefix: name,
  network: network.name,
  image: { kind: "image", name: routerImage },
  limits: limits(0.5, "192Mi"),
  nats: { url: natsClientUrl(natsReplicas), user: natsUser, password: password.result },
  // The router creates the intake stream: one copy per NATS node.
  streamReplicas: natsReplicas,
  // The team's image is Debian-based like services/router/Dockerfile: bash's /dev/tcp probes its /health
  // without starting Node every interval. An image without bash takes "node".
  healthProbe: "bash",
  // Health-gated NATS first: the router connects at start.
  startAfter: nats.containers,
});

/** Client URLs on the host, comma-separated (NATS's own list form): one per node. */
export const natsUrl = nats.nodeNames.map((_, i) => `nats://${bindAddress}:${natsHostPort + i}`).join(",");
export { natsUser };
export const natsPassword = password.result;
export const routerContainer = router.containers[0].name;
/** The label every container, network and volume of this stack carries. */
export const stackLabel = `${STACK_LABEL}=${name}`;
