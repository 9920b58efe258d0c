// The link proxy: Toxiproxy (github.com/Shopify/toxiproxy/v2) between the routers and NATS, one TCP proxy
// per NATS node, so chaos experiments can add latency to the router ↔ NATS links through its REST API.
// The kernel's netem would do the same inside the router's network namespace, but the CI host's kernel
// has no sch_netem; a user-space proxy needs nothing from the kernel. Only the routers connect through
// it (their NATS_URL is `linkProxyNatsUrl`); the gateway stays on NATS directly, so a fault on the proxy
// is a fault of the router links alone.
//
// The proxies exist from the start: the server reads them from a JSON file (`-config`, rendered by
// renderToxiproxyConfig) before its API listens, and the health check asks the API for the last of them.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { GATE_TIMING } from "./common";
import { containerArgs } from "./docker";
import { NATS_CLIENT_PORT } from "./nats";
import type { PartSpec } from "./spec";
import { limits as makeLimits, type Limits } from "./types";

/** Toxiproxy's REST API port (its default). */
export const LINK_PROXY_API_PORT = 8474;
/** Where the proxies file is uploaded in the container (read with `-config`). */
export const LINK_PROXY_CONFIG_PATH = "/etc/toxiproxy/proxies.json";
/** Network alias (and container name after the prefix) of the link proxy. */
export const LINK_PROXY_HOST = "link-proxy";

/** One TCP proxy: Toxiproxy's proxy fields as its API and config file take them. */
export interface LinkProxyRoute {
  /** Proxy name (the API's `/proxies/<name>`): the NATS node it leads to. */
  name: string;
  /** host:port the proxy listens on inside its container. */
  listen: string;
  /** host:port it forwards to. */
  upstream: string;
}

/**
 * One proxy per NATS node: node *i* (`nats-<i>:4222`) behind port 4222 + i of the proxy, so the routers'
 * URL list keeps one entry per node in the same order.
 */
export function linkProxyRoutes(natsNodes: string[], natsPort = NATS_CLIENT_PORT): LinkProxyRoute[] {
  if (natsNodes.length === 0) throw new Error("link proxy: no NATS node to proxy");
  return natsNodes.map((node, i) => ({
    name: node,
    listen: `0.0.0.0:${natsPort + i}`,
    upstream: `${node}:${natsPort}`,
  }));
}

const listenPort = (listen: string) => Number(listen.slice(listen.lastIndexOf(":") + 1));

/**
 * The `-config` file Toxiproxy reads at start: a JSON array of `{name, listen, upstream, enabled}`. The
 * server only logs a file it cannot use and starts without proxies, so problems are thrown here.
 */
export function renderToxiproxyConfig(routes: LinkProxyRoute[]): string {
  const problems: string[] = [];
  if (routes.length === 0) problems.push("no proxy");
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const r of routes) {
    if (!/^[A-Za-z0-9_.-]+$/.test(r.name))
      problems.push(`proxy name ${JSON.stringify(r.name)} is not a plain name`);
    if (names.has(r.name)) problems.push(`proxy ${r.name} is listed twice`);
    names.add(r.name);
    for (const [field, v] of [
      ["listen", r.listen],
      ["upstream", r.upstream],
    ] as const) {
      const port = listenPort(v);
      if (!/^[^\s:]*:\d+$/.test(v) || !(port >= 1 && port <= 65535))
        problems.push(`proxy ${r.name}: ${field} must be host:port, got ${JSON.stringify(v)}`);
    }
    if (ports.has(listenPort(r.listen)))
      problems.push(`proxy ${r.name}: listen port ${listenPort(r.listen)} is taken`);
    ports.add(listenPort(r.listen));
    if (r.listen === r.upstream) problems.push(`proxy ${r.name} forwards to itself`);
  }
  if (problems.length) throw new Error(`toxiproxy config: ${problems.join("; ")}`);
  const doc = routes.map((r) => ({ name: r.name, listen: r.listen, upstream: r.upstream, enabled: true }));
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** NATS_URL through the proxy, as services on the stack network use it: one entry per proxied node. */
export function linkProxyNatsUrl(routes: LinkProxyRoute[], host = LINK_PROXY_HOST): string {
  return routes.map((r) => `nats://${host}:${listenPort(r.listen)}`).join(",");
}

export interface LinkProxySpecOptions {
  /** Image reference (Toxiproxy's server as the entrypoint and /toxiproxy-cli, like the official image). */
  image: string;
  routes: LinkProxyRoute[];
  limits?: Limits;
}

/**
 * Toxiproxy with its proxies from the rendered config file, the API on every interface of the container
 * (the chaos tooling reaches it on the stack network). The official image is FROM scratch (no shell, no
 * wget), so the health check is its own CLI: `inspect` of the last proxy answers once the API listens
 * and the file's proxies exist (they are created before the API starts listening, in order).
 */
export function linkProxySpec(o: LinkProxySpecOptions): PartSpec {
  const config = renderToxiproxyConfig(o.routes);
  return {
    role: LINK_PROXY_HOST,
    image: { kind: "image", name: o.image },
    args: ["-host=0.0.0.0", `-port=${LINK_PROXY_API_PORT}`, `-config=${LINK_PROXY_CONFIG_PATH}`],
    env: [],
    ports: [
      { name: "api", port: LINK_PROXY_API_PORT },
      ...o.routes.map((r) => ({ name: r.name, port: listenPort(r.listen) })),
    ],
    health: {
      command: [
        "/toxiproxy-cli",
        "--host",
        `http://127.0.0.1:${LINK_PROXY_API_PORT}`,
        "inspect",
        o.routes[o.routes.length - 1].name,
      ],
    },
    limits: o.limits,
    files: [{ path: LINK_PROXY_CONFIG_PATH, content: config }],
    volumes: [],
  };
}

export interface LinkProxyArgs {
  /** Stack name: labels. */
  stack: string;
  /** Prefix of the container name, e.g. "pg-dev". */
  namePrefix: string;
  /** Docker network the proxy joins (the NATS nodes and the routers are on it). */
  network: pulumi.Input<string>;
  /** Toxiproxy image, pinned (default of the config: ghcr.io/shopify/toxiproxy:2.5.0). */
  image: string;
  /** NATS node aliases on the network, in order (one proxy each). */
  natsNodes: string[];
  /** Default 0.5 CPU / 64Mi. */
  limits?: Limits;
}

/** The link proxy's container (health-gated like every long-running part) and what its users need. */
export class LinkProxy extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly routes: LinkProxyRoute[];
  /** NATS_URL for the services that go through the proxy. */
  public readonly natsUrl: string;

  constructor(name: string, args: LinkProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:LinkProxy", name, {}, opts);
    this.routes = linkProxyRoutes(args.natsNodes);
    this.natsUrl = linkProxyNatsUrl(this.routes);
    const spec = linkProxySpec({
      image: args.image,
      routes: this.routes,
      limits: args.limits ?? makeLimits(0.5, "64Mi"),
    });
    const image = new docker.RemoteImage(
      `${name}-image`,
      { name: args.image, keepLocally: true },
      { parent: this },
    ).imageId;
    this.container = new docker.Container(
      `${name}-container`,
      containerArgs(spec, {
        stack: args.stack,
        namePrefix: args.namePrefix,
        network: args.network,
        image,
        // The routers start after it: on `up`'s critical path.
        timing: GATE_TIMING,
      }),
      // Fixed name: the old container goes before its replacement takes the name.
      { parent: this, deleteBeforeReplace: true },
    );
    this.registerOutputs({ natsUrl: this.natsUrl, proxies: this.routes.map((r) => r.name) });
  }
}
