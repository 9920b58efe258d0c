// Gateway and router faults: restarts, kills of one and of all router replicas, a frozen router.
import { experiment, healthy, startAll, STANDARD_GATES, wait } from "./common";

export const gatewayRestart = experiment({
  name: "gateway-restart",
  title: "Gateway restarted (SIGTERM, start)",
  proves:
    "A gateway restart under load loses no accepted message (anything acknowledged was in JetStream before the 202) and the gateway serves at the SLO again shortly after it is back.",
  doesNotProve: [
    "Zero failed requests during the restart: with one gateway, requests in the gap fail by design (no load balancer in front).",
  ],
  survives: ["gateway restart"],
  method: [
    {
      label: "restart gateway",
      action: { kind: "restart", target: { role: "gateway", index: 0 } },
    },
    healthy("gateway", 0),
  ],
  rollbacks: [startAll("gateway")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const routerKill = experiment({
  name: "router-kill",
  title: "Router SIGKILLed for 3 s, then started",
  proves:
    "Messages accepted while no router runs stay in JetStream and are decided once a router is back; the synchronous path answers 503 meanwhile (no hang) and recovers.",
  doesNotProve: ["Availability of the synchronous path during the outage with a single replica."],
  survives: ["SIGKILL of a router"],
  method: [
    { label: "SIGKILL router[0]", action: { kind: "kill", target: { role: "router", index: 0 } } },
    wait(3000, "router down 3 s"),
    {
      label: "start router[0]",
      action: { kind: "start", target: { role: "router", index: 0 } },
    },
    healthy("router", 0),
  ],
  rollbacks: [startAll("router")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const routerKillOne = experiment({
  name: "router-kill-one",
  title: "One of several router replicas SIGKILLed",
  proves:
    "Losing one router replica is invisible to clients: the queue group and the durable consumer move work to the others.",
  doesNotProve: ["Behaviour with a single replica (see router-kill)."],
  survives: ["SIGKILL of 1 of N routers"],
  needs: { router: 2 },
  method: [
    { label: "SIGKILL router[0]", action: { kind: "kill", target: { role: "router", index: 0 } } },
    wait(5000, "one router down 5 s"),
    {
      label: "start router[0]",
      action: { kind: "start", target: { role: "router", index: 0 } },
    },
    healthy("router", 0),
  ],
  rollbacks: [startAll("router")],
  gates: [
    ...STANDARD_GATES,
    { kind: "blast-radius-at-most", share: 0.05 },
    { kind: "recovery-within", ms: 3000 },
  ],
});

export const routerKillAll = experiment({
  name: "router-kill-all",
  title: "Every router replica SIGKILLed, then all started",
  proves:
    "With no router at all, accepted messages wait in JetStream and are all decided when routers return.",
  doesNotProve: ["Anything about how long JetStream can buffer (limits are not reached in 5 s)."],
  survives: ["SIGKILL of all routers"],
  needs: { router: 2 },
  method: [
    { label: "SIGKILL router[0]", action: { kind: "kill", target: { role: "router", index: 0 } } },
    wait(2000, "one router down 2 s"),
    { label: "SIGKILL all routers", action: { kind: "kill", target: { role: "router" } } },
    wait(4000, "no router 4 s"),
    { label: "start all routers", action: { kind: "start", target: { role: "router" } } },
    healthy("router"),
  ],
  rollbacks: [startAll("router")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const routerPause = experiment({
  name: "router-pause",
  title: "Router frozen (SIGSTOP / docker pause) for 6 s",
  proves:
    "A router that stops answering without disconnecting (GC pause, stuck host) costs timeouts, not lost messages: unacked deliveries are redelivered and decided.",
  doesNotProve: ["Detection of a permanently hung router (the pause is short)."],
  survives: ["router frozen 6 s"],
  method: [
    { label: "pause router[0]", action: { kind: "pause", target: { role: "router", index: 0 } } },
    wait(6000, "router frozen 6 s"),
    {
      label: "unpause router[0]",
      action: { kind: "unpause", target: { role: "router", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "unpause routers", action: { kind: "unpause", target: { role: "router" } } }],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});
