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

/**
 * Bound on NatsUnreachable's time to detect (from the kill to the first poll that sees it firing). The
 * alert (monitoring/alerts.ts) is `probe_success{job="blackbox-nats"} == 0` for 30 s: blackbox's http_2xx
 * probe of each node's monitor `/healthz` (3 s probe timeout), one instance per node. With the stack
 * defaults (scrapeIntervalSeconds 15, stacks/config.ts; the evaluation interval equals the scrape
 * interval, components/observability-config.ts; no `maxForSeconds` cap on deployed stacks), the worst
 * case is: up to 15 s to the next probe scrape + 3 s probe timeout + up to 15 s to the rule evaluation
 * that makes it pending (its `activeAt`) + 30 s `for:` + up to one more evaluation (15 s) to turn it
 * firing + 1 s of our polling ≈ 79 s (≈ 49 s at the ci stack's 5 s interval). 120 s leaves room for a
 * loaded 2-core host (late scrapes and evaluations, a slow `docker kill`) without accepting a detection
 * that needs an extra `for:` cycle. The await-alert step waits longer (180 s), so a slow detection is
 * measured and fails the gate with its number instead of aborting the method.
 */
export const NATS_UNREACHABLE_DETECT_MS = 120000;

export const natsClusterNodeKill = experiment({
  name: "nats-cluster-node-kill",
  title: "One node of a 3-node NATS cluster killed until NatsUnreachable fires",
  proves:
    "With one of three NATS nodes gone, the cluster keeps quorum: clients fail over, JetStream (R3) keeps accepting, and nothing accepted is lost — for as long as it takes monitoring to notice: NatsUnreachable fires for the lost node (its own transition after the kill) within 120 s, and the node is only started again after it did.",
  doesNotProve: [
    "Losing two nodes (no quorum: JetStream stops by design).",
    "A network split between nodes.",
    "Delivery of the alert to a receiver (Alertmanager routing is not checked; Prometheus's alert state is).",
  ],
  survives: ["loss of 1 of 3 NATS nodes until the alert fires (≈ 30–80 s)"],
  needs: { nats: 3 },
  detects: [{ alert: "NatsUnreachable", withinMs: NATS_UNREACHABLE_DETECT_MS }],
  method: [
    { label: "SIGKILL nats[1]", action: { kind: "kill", target: { role: "nats", index: 1 } } },
    {
      label: "node down until NatsUnreachable fires",
      action: { kind: "await-alert", alert: "NatsUnreachable", timeoutMs: 180000 },
    },
    {
      label: "start nats[1]",
      action: { kind: "start", target: { role: "nats", index: 1 } },
    },
    healthy("nats", 1),
  ],
  rollbacks: [startAll("nats")],
  gates: [
    ...STANDARD_GATES,
    { kind: "recovery-within", ms: 8000 },
    { kind: "detected-within", alert: "NatsUnreachable", ms: NATS_UNREACHABLE_DETECT_MS },
  ],
});
