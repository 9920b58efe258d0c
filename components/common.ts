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

/** Container resource limits in the docker provider's units (cpus as a string, memory in MiB). */
export function limitArgs(limits: Limits): Pick<docker.ContainerArgs, "cpus" | "memory"> {
  return { cpus: String(limits.cpus), memory: limits.memoryMb };
}

/** Health check timing shared by all long-running containers: quick to turn healthy, tolerant later. */
// (No start_interval: it needs Docker API 1.44, and Debian 12 ships Docker 20.10.)
const HEALTH_TIMING = { interval: "3s", timeout: "2s", retries: 10, startPeriod: "20s" };

/** HTTP health check with busybox/Debian `wget` (official prom/nats/grafana images ship it). */
export function wgetHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  return { tests: ["CMD", "wget", "-q", "-O", "/dev/null", url], ...HEALTH_TIMING };
}

/** HTTP health check with Node's fetch, as the service Dockerfiles do (their images have no wget). */
export function nodeHealthcheck(url: string): docker.types.input.ContainerHealthcheck {
  const script = `fetch(${JSON.stringify(url)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  return { tests: ["CMD", "node", "-e", script], ...HEALTH_TIMING };
}

/** Resource name prefix for docker objects of one stack: "pg-<stack>". */
export function objectPrefix(stack: string): string {
  return `pg-${stack}`;
}
