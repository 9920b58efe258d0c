// Network faults: partitions (docker network disconnect/connect), packet loss on a link (netem or iptables
// in the container's namespace) and link latency (in the link proxy, Toxiproxy: no netem needed).
import { experiment, STANDARD_GATES, wait } from "./common";

export const partitionRouter = experiment({
  name: "partition-router",
  title: "Router partitioned from NATS for 5 s (network disconnect/connect)",
  proves:
    "A router cut off the network and reconnected loses nothing: deliveries it held unacked are redelivered, and the synchronous path recovers after the partition heals.",
  doesNotProve: ["Asymmetric partitions (one direction only)", "Partitions between NATS cluster nodes."],
  survives: ["router ↔ NATS partition for 5 s"],
  method: [
    { label: "disconnect router[0]", action: { kind: "disconnect", target: { role: "router", index: 0 } } },
    wait(5000, "partitioned 5 s"),
    {
      label: "reconnect router[0]",
      action: { kind: "reconnect", target: { role: "router", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "reconnect routers", action: { kind: "reconnect", target: { role: "router" } } }],
  // A silently dead TCP link is only noticed after missed pings (services/common/nats.ts), and a
  // delivery held by the cut-off router waits for its ack timeout: recovery gets a wider bound.
  observeMs: 30000,
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 20000 }],
});

export const partitionGateway = experiment({
  name: "partition-gateway",
  title: "Gateway partitioned from NATS for 5 s",
  proves:
    "A gateway cut off from NATS answers nothing it cannot keep (no 202 without a JetStream ack) and serves again after reconnecting.",
  doesNotProve: [
    "Client-side availability during the partition: on Docker the published port goes through the same network, so clients are cut off too.",
  ],
  survives: ["gateway ↔ NATS partition for 5 s"],
  method: [
    { label: "disconnect gateway", action: { kind: "disconnect", target: { role: "gateway", index: 0 } } },
    wait(5000, "partitioned 5 s"),
    {
      label: "reconnect gateway",
      action: { kind: "reconnect", target: { role: "gateway", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "reconnect gateway", action: { kind: "reconnect", target: { role: "gateway" } } }],
  observeMs: 30000,
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 20000 }],
});

export const linkLoss = experiment({
  name: "link-loss",
  title: "10 % packet loss on the router's link for 8 s",
  proves:
    "Packet loss between router and NATS slows answers (TCP retransmits) but loses no accepted message and recovers when it stops.",
  doesNotProve: ["Loss rates that break TCP connections for longer than the NATS ping window."],
  survives: ["10 % packet loss on the router link"],
  method: [
    {
      label: "10 % loss on router[0]",
      action: { kind: "impair", target: { role: "router", index: 0 }, impairment: { lossPercent: 10 } },
    },
    wait(8000, "lossy 8 s"),
    {
      label: "remove loss",
      action: { kind: "impair", target: { role: "router", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "remove impairment", action: { kind: "impair", target: { role: "router" } } }],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const linkLatency = experiment({
  name: "link-latency",
  title: "100 ms latency each way on every router ↔ NATS link for 8 s (Toxiproxy)",
  proves:
    "Latency on the router links shows up as latency, not as errors or loss: no synchronous request fails or times out while it lasts, their median rises by at least the added latency, nothing accepted is lost, and p99 returns to baseline when it is removed.",
  doesNotProve: [
    "Latency large enough to exceed the gateway's request timeout.",
    "Packet loss or reordering (a TCP proxy delays bytes; it cannot drop packets): see link-loss.",
    "Latency on the gateway's own NATS link (only the routers connect through the link proxy).",
    "On a 3-node cluster, a router that reconnects may follow a server URL NATS gossips to it and bypass the proxy.",
  ],
  survives: ["100 ms added each way on the router ↔ NATS links"],
  method: [
    {
      label: "100 ms on the router links",
      action: { kind: "proxy-latency", latency: { latencyMs: 100 } },
    },
    wait(8000, "slow links 8 s"),
    {
      label: "remove the latency",
      action: { kind: "proxy-latency" },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "remove the latency", action: { kind: "proxy-latency" } }],
  // A decide request crosses the router link at least twice (request in, reply out; the router's own
  // JetStream round trips too): ≥ +200 ms expected (+409 ms measured on the ci configuration). 100 ms is a
  // bound that still tells latency from noise on a busy host.
  gates: [
    ...STANDARD_GATES,
    { kind: "recovery-within", ms: 8000 },
    { kind: "latency-as-latency", path: "sync", minAddedMs: 100 },
  ],
});
