// Small shared pieces of every component: labels, limits and health checks, so each component states
// only what is specific to it.
import * as docker from "@pulumi/docker";
import { bashHttpProbe } from "../services/common/health-probe";
import type { Limits } from "./types";

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

/** How often a health check probes and when Docker calls the container unhealthy. */
export type HealthTiming = Pick<
  docker.types.input.ContainerHealthcheck,
  "interval" | "timeout" | "retries" | "startPeriod"
>;

// Health check timing. Docker probes first after one `interval` (start_interval needs Docker API 1.44;
// Debian 12 ships 20.10), and the docker provider's `wait` looks at the health status right after the
// start and then once a second. A container turns healthy for `up` at the first whole second after its
// first passing probe has finished: a probe at 3 s finishes just after the look at 3 s and is seen at
// 4 s; one at 1 s is seen at 2 s, like one at 1.5 s. So intervals sit half a second below a whole
// second, which leaves the probe (runc exec, 50-100 ms, more on a loaded host) time to finish.
// Probes are not free whatever they run: each is a runc exec, ~50-70 ms of host CPU (dockerd, containerd,
// runc) on the 2-vCPU CI machine, while bash /dev/tcp or wget themselves take ~1 ms. Only the containers
// `up` waits for one after another get the shorter interval.
// Timeouts are generous: on a busy host a CPU-limited container can take seconds just to start a probe,
// and a timeout there would flap a healthy service to unhealthy. Nothing in this stack acts on
// "unhealthy" (restart policies act on exits): the status gates `up` and informs operators.

/**
 * Containers on `up`'s critical path: NATS (the services wait for it), the router (the gateway waits for
 * it) and the gateway (the validation job waits for it), each seen healthy ~2 s after its start (was ~4 s
 * with a 3 s interval). Unhealthy after ten failures in a row: ≥15 s of refused connections, ≥65 s of
 * timed-out probes.
 */
export const GATE_TIMING: HealthTiming = { interval: "1.5s", timeout: "5s", retries: 10, startPeriod: "30s" };
/**
 * Containers nothing waits for but the validation job at the end (Prometheus, Alertmanager, exporters,
 * Grafana, Loki): they start beside NATS and are usually healthy before the gateway is. Seen healthy ~3 s
 * after the start when ready by then (a 3 s interval: ~4 s). Unhealthy after ≥25 s of refused
 * connections, ≥75 s of timed-out probes.
 */
export const SIDE_TIMING: HealthTiming = { interval: "2.5s", timeout: "5s", retries: 10, startPeriod: "30s" };
/** `node -e` probes pay a Node start-up (0.1-0.3 s of CPU) inside the service's own quota each time. */
const NODE_TIMING: HealthTiming = { interval: "5s", timeout: "10s", retries: 6, startPeriod: "30s" };

/**
 * HTTP health check with busybox/Debian `wget` (official prom/nats/grafana images and the CI base ship
 * it). Default timing SIDE_TIMING; pass GATE_TIMING for a container that `up` waits for.
 */
export function wgetHealthcheck(
  url: string,
  timing: HealthTiming = SIDE_TIMING,
): docker.types.input.ContainerHealthcheck {
  return { tests: ["CMD", "wget", "-q", "-O", "/dev/null", url], ...timing };
}

/** HTTP health check with Node's fetch, as the service Dockerfiles do (their images have no wget). */
export function nodeHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  const script = `fetch(${JSON.stringify(url)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return { tests: ["CMD", "node", "-e", script], ...NODE_TIMING };
}

/**
 * HTTP health check with bash's /dev/tcp (script: services/common/health-probe.ts, the same the service
 * Dockerfiles' HEALTHCHECK runs): no process besides bash (~1 ms). A `node -e` probe pays a Node start-up
 * (0.1–0.3 s of CPU) every interval inside the service's own CPU quota; in the CI stack that showed as
 * ~60 ms latency spikes every ~6 s. Needs bash in the image (Debian/Ubuntu-based images such as the
 * repo's Dockerfiles build); `path` is a plain URL path. Default timing GATE_TIMING: the gateway and the
 * router are on `up`'s critical path.
 */
export function bashHealthcheck(
  port: number,
  path: string,
  timing: HealthTiming = GATE_TIMING,
): docker.types.input.ContainerHealthcheck {
  return { tests: ["CMD", "bash", "-c", bashHttpProbe(port, path, 5)], ...timing };
}

/** How a service container's health check calls its health endpoint (see BeamlineServiceArgs.healthProbe). */
export type HealthProbe = "node" | "bash";

/** Resource name prefix for docker objects of one stack: "pg-<stack>". */
export function objectPrefix(stack: string): string {
  return `pg-${stack}`;
}
