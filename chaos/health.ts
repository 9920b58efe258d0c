// Where each role answers a health check, from the stack outputs: "NATS is back" means its monitoring
// endpoint says healthy (JetStream store recovered), not merely that the process or container runs.
import type { Role, StackOutputs } from "../stacks/outputs";

export function healthUrls(outputs: StackOutputs, role: Role): string[] {
  switch (role) {
    case "nats":
      return outputs.natsMonitorUrls.map((u) => `${u.replace(/\/$/, "")}/healthz`);
    case "router":
      // Docker outputs list the /metrics URL itself, the local stack the base URL.
      return outputs.routerMetricsUrls.map((u) =>
        /\/metrics$/.test(u) ? u : `${u.replace(/\/$/, "")}/metrics`,
      );
    case "gateway":
      return [`${outputs.gatewayUrl}/health`];
    case "prometheus":
      return outputs.prometheusUrl ? [`${outputs.prometheusUrl}/-/healthy`] : [];
    case "alertmanager":
      return outputs.alertmanagerUrl ? [`${outputs.alertmanagerUrl}/-/healthy`] : [];
    case "link-proxy":
      return outputs.linkProxy ? [`${outputs.linkProxy.apiUrl}/version`] : [];
    default:
      return [];
  }
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status < 400;
  } catch {
    return false;
  }
}

/** Resolves when every selected instance answers healthy; throws after `timeoutMs`. */
export async function awaitHealthy(
  outputs: StackOutputs,
  role: Role,
  index: number | undefined,
  timeoutMs: number,
): Promise<void> {
  const all = healthUrls(outputs, role);
  if (all.length === 0) throw new Error(`no health endpoint known for ${role} in the stack outputs`);
  const urls = index === undefined ? all : [all[index]].filter(Boolean);
  if (urls.length === 0)
    throw new Error(`no health endpoint for ${role}[${index}] (outputs list ${all.length})`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(urls.map(ok));
    if (states.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${role} not healthy within ${timeoutMs} ms (${urls.filter((_, i) => !states[i]).join(", ")})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
