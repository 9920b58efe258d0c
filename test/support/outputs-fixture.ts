// Stack outputs for driver and tooling tests that read only the chaos targets: every required key of
// StackOutputs with a placeholder, the caller adds target and chaosTargets.
import assert from "node:assert/strict";
import fs from "node:fs";
import type { StackOutputs } from "../../stacks/outputs";
import type { KubeApiServer } from "../../tooling/local/kube-apiserver";

export function bareOutputs(stack: string): Omit<StackOutputs, "chaosTargets" | "target"> {
  return {
    stack,
    gatewayUrl: "http://gw",
    natsUrl: "nats://nats:4222",
    natsHostUrls: [],
    natsUser: "u",
    natsPassword: "p",
    natsMonitorUrls: [],
    routerMetricsUrls: [],
  };
}

/** Stops a loopback etcd + kube-apiserver and asserts that both processes and its folder are gone. */
export async function stopKubeApiServer(server: KubeApiServer): Promise<void> {
  const pids = server.procs.map((p) => p.pid!);
  await server.stop();
  assert.equal(server.running, false, "etcd and kube-apiserver exited");
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, `pid ${pid} is gone`);
  assert.equal(fs.existsSync(server.dir), false, `${server.dir} removed`);
}
