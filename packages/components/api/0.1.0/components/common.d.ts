import * as docker from "@pulumi/docker";
import type { Limits } from "./types";
/** Label keys on every container, network and volume; chaos tooling and teardown checks select on them. */
export declare const STACK_LABEL = "proving-ground.stack";
export declare const ROLE_LABEL = "proving-ground.role";
export declare function labels(stack: string, role: string): docker.types.input.ContainerLabel[];
/**
 * Container resource limits in the docker provider's units (cpus as a string, memory in MiB). memorySwap
 * equals memory: no swap on top of the limit. Left unset, Docker stores twice the memory limit, `refresh`
 * reads that back and every later preview would show an update of each container.
 */
export declare function limitArgs(limits: Limits): Pick<docker.ContainerArgs, "cpus" | "memory" | "memorySwap">;
/** How often a health check probes and when Docker calls the container unhealthy. */
export type HealthTiming = Pick<docker.types.input.ContainerHealthcheck, "interval" | "timeout" | "retries" | "startPeriod">;
/**
 * Containers on `up`'s critical path: NATS (the services wait for it), the router (the gateway waits for
 * it) and the gateway (the validation job waits for it), each seen healthy ~2 s after its start (was ~4 s
 * with a 3 s interval). Unhealthy after ten failures in a row: ≥15 s of refused connections, ≥65 s of
 * timed-out probes.
 */
export declare const GATE_TIMING: HealthTiming;
/**
 * Containers nothing waits for but the validation job at the end (Prometheus, Alertmanager, exporters,
 * Grafana, Loki): they start beside NATS and are usually healthy before the gateway is. Seen healthy ~3 s
 * after the start when ready by then (a 3 s interval: ~4 s). Unhealthy after ≥25 s of refused
 * connections, ≥75 s of timed-out probes.
 */
export declare const SIDE_TIMING: HealthTiming;
/**
 * HTTP health check with busybox/Debian `wget` (official prom/nats/grafana images and the CI base ship
 * it). Default timing SIDE_TIMING; pass GATE_TIMING for a container that `up` waits for.
 */
export declare function wgetHealthcheck(url: string, timing?: HealthTiming): docker.types.input.ContainerHealthcheck;
/** HTTP health check with Node's fetch, as the service Dockerfiles do (their images have no wget). */
export declare function nodeHealthcheck(url: string): docker.types.input.ContainerHealthcheck;
/**
 * HTTP health check with bash's /dev/tcp (script: services/common/health-probe.ts, the same the service
 * Dockerfiles' HEALTHCHECK runs): no process besides bash (~1 ms). A `node -e` probe pays a Node start-up
 * (0.1–0.3 s of CPU) every interval inside the service's own CPU quota; in the CI stack that showed as
 * ~60 ms latency spikes every ~6 s. Needs bash in the image (Debian/Ubuntu-based images such as the
 * repo's Dockerfiles build); `path` is a plain URL path. Default timing GATE_TIMING: the gateway and the
 * router are on `up`'s critical path.
 */
export declare function bashHealthcheck(port: number, path: string, timing?: HealthTiming): docker.types.input.ContainerHealthcheck;
/** How a service container's health check calls its health endpoint (see BeamlineServiceArgs.healthProbe). */
export type HealthProbe = "node" | "bash";
/** Resource name prefix for docker objects of one stack: "pg-<stack>". */
export declare function objectPrefix(stack: string): string;
