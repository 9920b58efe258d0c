// Network faults: partitions (docker network disconnect/connect) and link impairment (loss, latency).
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
  title: "100 ms latency and 2 % loss on the router's link for 8 s (netem)",
  proves:
    "Added latency on the router link shows up as latency, not as errors or loss, and p99 returns to baseline when it is removed.",
  doesNotProve: ["Latency large enough to exceed the gateway's request timeout."],
  survives: ["100 ms latency + 2 % loss on the router link"],
  method: [
    {
      label: "100 ms + 2 % on router[0]",
      action: {
        kind: "impair",
        target: { role: "router", index: 0 },
        impairment: { delayMs: 100, lossPercent: 2 },
      },
    },
    wait(8000, "slow link 8 s"),
    {
      label: "remove impairment",
      action: { kind: "impair", target: { role: "router", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "remove impairment", action: { kind: "impair", target: { role: "router" } } }],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});
