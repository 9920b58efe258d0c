// NATS faults: the broker process killed and restarted, its container re-created, one cluster node lost.
import { experiment, healthy, startAll, STANDARD_GATES, wait } from "./common";

export const natsKillRestart = experiment({
  name: "nats-kill-restart",
  title: "NATS killed with SIGKILL, restarted on the same JetStream volume",
  proves:
    "With NATS SIGKILLed under load and started again on its JetStream store, every 202-accepted message is still decided afterwards, the gateway serves again within 2 s of NATS being back, and both paths recover to the SLO and baseline p99.",
  doesNotProve: [
    "Host crash or power loss: the kernel page cache survives a process kill, so unsynced JetStream writes are not tested.",
    "Disk loss or corruption of the JetStream volume.",
  ],
  survives: ["SIGKILL of nats-server", "NATS unavailable for 3 s"],
  method: [
    {
      label: "SIGKILL nats",
      action: { kind: "kill", target: { role: "nats", index: 0 }, signal: "SIGKILL" },
    },
    wait(3000, "NATS down 3 s"),
    { label: "start nats", action: { kind: "start", target: { role: "nats", index: 0 } } },
    healthy("nats", 0),
  ],
  rollbacks: [startAll("nats")],
  gates: [
    ...STANDARD_GATES,
    { kind: "first-success-within", path: "sync", ms: 2000 },
    { kind: "first-success-within", path: "durable", ms: 2000 },
    { kind: "recovery-within", ms: 8000 },
  ],
});

export const natsRecreate = experiment({
  name: "nats-recreate",
  title: "NATS container removed and created again (same volume)",
  proves:
    "A NATS container replaced by a new one with the same definition and JetStream volume (what a redeploy or a node replacement does) loses no accepted message and the services reconnect by themselves.",
  doesNotProve: [
    "A new volume (data loss by design), or a NATS version upgrade.",
    "That the IaC state still matches: the container id changes, which `pulumi refresh` would report.",
  ],
  survives: ["NATS container replaced"],
  method: [
    {
      label: "re-create nats",
      action: { kind: "recreate", target: { role: "nats", index: 0 } },
      // The re-created container may get a new IP, so the IP-based monitor URL in the outputs can
      // go stale: the fault ends when the container runs; the recovery gate checks service.
      endsFault: true,
    },
  ],
  rollbacks: [startAll("nats")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const natsClusterNodeKill = experiment({
  name: "nats-cluster-node-kill",
  title: "One node of a 3-node NATS cluster killed",
  proves:
    "With one of three NATS nodes gone, the cluster keeps quorum: clients fail over, JetStream (R3) keeps accepting, and nothing accepted is lost.",
  doesNotProve: [
    "Losing two nodes (no quorum: JetStream stops by design).",
    "A network split between nodes.",
  ],
  survives: ["loss of 1 of 3 NATS nodes"],
  needs: { nats: 3 },
  method: [
    { label: "SIGKILL nats[1]", action: { kind: "kill", target: { role: "nats", index: 1 } } },
    wait(5000, "node down 5 s"),
    {
      label: "start nats[1]",
      action: { kind: "start", target: { role: "nats", index: 1 } },
    },
    healthy("nats", 1),
  ],
  rollbacks: [startAll("nats")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});
