// Small shared pieces of every component: labels, limits and health checks, so each component states
// only what is specific to it.
import * as docker from "@pulumi/docker";
import type { Limits } from "../stacks/config";

/** Label keys on every container, network and volume; chaos tooling and teardown checks select on them. */
export const STACK_LABEL = "proving-ground.stack";
export const ROLE_LABEL = "proving-ground.role";

export function labels(stack: string, role: string): docker.types.input.ContainerLabel[] {
  return [
    { label: STACK_LABEL, value: stack },
    { label: ROLE_LABEL, value: role },
  ];
}

/**
 * Container resource limits in the docker provider's units (cpus as a string, memory in MiB). memorySwap
 * equals memory: no swap on top of the limit. Left unset, Docker stores twice the memory limit, `refresh`
 * reads that back and every later preview would show an update of each container.
 */
export function limitArgs(limits: Limits): Pick<docker.ContainerArgs, "cpus" | "memory" | "memorySwap"> {
  return { cpus: String(limits.cpus), memory: limits.memoryMb, memorySwap: limits.memoryMb };
}

// Health check timing. Docker probes first after one `interval` (start_interval needs Docker API 1.44;
// Debian 12 ships 20.10), so intervals stay short to turn healthy quickly. Timeouts are generous: on a
// busy host a CPU-limited container can take seconds just to start `node` for the probe, and a timeout
// there would flap a healthy service to unhealthy.
const WGET_TIMING = { interval: "3s", timeout: "5s", retries: 10, startPeriod: "30s" };
const NODE_TIMING = { interval: "5s", timeout: "10s", retries: 6, startPeriod: "30s" };

/** HTTP health check with busybox/Debian `wget` (official prom/nats/grafana images and the CI base ship it). */
export function wgetHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  return { tests: ["CMD", "wget", "-q", "-O", "/dev/null", url], ...WGET_TIMING };
}

/** HTTP health check with Node's fetch, as the service Dockerfiles do (their images have no wget). */
export function nodeHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  const script = `fetch(${JSON.stringify(url)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return { tests: ["CMD", "node", "-e", script], ...NODE_TIMING };
}

/**
 * HTTP health check with bash's /dev/tcp: no process besides bash (~1 ms). A `node -e` probe pays a Node
 * start-up (0.1–0.3 s of CPU) every interval inside the service's own CPU quota; in the CI stack that
 * showed as ~60 ms latency spikes every ~6 s. Needs bash in the image (Debian/Ubuntu-based images such
 * as the repo's Dockerfiles build); `path` is a plain URL path.
 */
export function bashHealthcheck(port: number, path: string): docker.types.input.ContainerHealthcheck {
  if (!/^\/[A-Za-z0-9._~\-/?=&]*$/.test(path))
    throw new Error(`health check path ${JSON.stringify(path)}: expected a URL path such as /health`);
  const request = `GET ${path} HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n`;
  const script =
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf '${request}' >&3 && ` +
    `IFS= read -r -t 5 status <&3 && [[ $status == HTTP/1.?' 2'[0-9][0-9]' '* ]]`;
  return { tests: ["CMD", "bash", "-c", script], ...WGET_TIMING };
}

/** How a service container's health check calls its health endpoint (see BeamlineServiceArgs.healthProbe). */
export type HealthProbe = "node" | "bash";

/** Resource name prefix for docker objects of one stack: "pg-<stack>". */
export function objectPrefix(stack: string): string {
  return `pg-${stack}`;
}
