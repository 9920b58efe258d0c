// Resource squeezes (docker update): CPU and memory limits lowered under load, then restored.
import { experiment, STANDARD_GATES, wait } from "./common";

export const cpuSqueeze = experiment({
  name: "cpu-squeeze",
  title: "Router CPU squeezed to 0.05 cores for 8 s",
  proves:
    "A CPU-starved router slows down (queueing, maybe timeouts) but loses nothing and returns to baseline once the limit is lifted.",
  doesNotProve: ["Behaviour under a host-wide CPU shortage (only one container is throttled)."],
  survives: ["router throttled to 0.05 CPU"],
  method: [
    {
      label: "router[0] to 0.05 CPU",
      action: { kind: "squeeze", target: { role: "router", index: 0 }, limits: { cpus: 0.05 } },
    },
    wait(8000, "squeezed 8 s"),
    {
      label: "restore router[0] limits",
      action: { kind: "squeeze", target: { role: "router", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [{ label: "restore router limits", action: { kind: "squeeze", target: { role: "router" } } }],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});

export const memorySqueeze = experiment({
  name: "memory-squeeze",
  title: "Gateway memory limited to 96 MiB for 8 s",
  proves:
    "Under a tight memory limit the gateway either keeps serving or is OOM-killed and restarted by Docker's restart policy; either way no accepted message is lost.",
  doesNotProve: ["Memory leaks over long runs (see the soak profile)."],
  survives: ["gateway memory limited to 96 MiB"],
  method: [
    {
      label: "gateway to 96 MiB",
      action: {
        kind: "squeeze",
        target: { role: "gateway", index: 0 },
        limits: { memoryBytes: 96 * 1024 * 1024 },
      },
    },
    wait(8000, "squeezed 8 s"),
    {
      label: "restore gateway limits",
      action: { kind: "squeeze", target: { role: "gateway", index: 0 } },
      endsFault: true,
    },
  ],
  rollbacks: [
    { label: "restore gateway limits", action: { kind: "squeeze", target: { role: "gateway" } } },
    { label: "ensure gateway runs", action: { kind: "start", target: { role: "gateway" } } },
  ],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});
