// Reconnect storm: NATS killed and started 10 times in quick succession.
import type { Step } from "../model";
import { experiment, healthy, startAll, STANDARD_GATES, wait } from "./common";

const cycles: Step[] = [];
for (let i = 1; i <= 10; i++) {
  cycles.push({
    label: `cycle ${i}: SIGKILL nats`,
    action: { kind: "kill", target: { role: "nats", index: 0 } },
  });
  cycles.push(wait(300, `cycle ${i}: down 0.3 s`));
  cycles.push({
    label: `cycle ${i}: start nats`,
    action: { kind: "start", target: { role: "nats", index: 0 } },
  });
  if (i < 10) cycles.push(wait(700, `cycle ${i}: up 0.7 s`));
}
cycles.push(healthy("nats", 0));

export const reconnectStorm = experiment({
  name: "reconnect-storm",
  title: "NATS killed and restarted 10 times in quick succession",
  proves:
    "Ten quick NATS restarts leave no lost accepted message, no crashed or wedged service, and the services resume on their own (no leaked reconnect loops).",
  doesNotProve: [
    "Leaked connections beyond what the final steady state shows (the E2E reconnect scenario counts them).",
  ],
  survives: ["10 NATS kill/start cycles"],
  method: cycles,
  rollbacks: [startAll("nats")],
  gates: [...STANDARD_GATES, { kind: "recovery-within", ms: 8000 }],
});
