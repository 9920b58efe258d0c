// A stack's Docker objects as the Docker API lists them: every container, network and volume the
// components create carries the label proving-ground.stack=<stack> (components/common.ts).
import Docker from "dockerode";
import { STACK_LABEL } from "../components/common";
import { demuxDockerLogs } from "../tooling/drivers/docker";

export interface StackObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
  /** kubernetes target: the stack's namespace after destroy (the Docker lists are then empty). */
  namespace?: { name: string; exists: boolean; objects: string[] };
}

function filter(stack: string): string {
  return JSON.stringify({ label: [`${STACK_LABEL}=${stack}`] });
}

export async function listStackObjects(stack: string, docker = new Docker()): Promise<StackObjects> {
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: filter(stack) }),
    docker.listNetworks({ filters: filter(stack) }),
    docker.listVolumes({ filters: filter(stack) }),
  ]);
  return {
    containers: containers.map((c) => c.Names[0].replace(/^\//, "")).sort(),
    networks: networks.map((n) => n.Name).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
  };
}

/** Force-removes every object of the stack (what an interrupted earlier run left); returns how many. */
export async function removeStackObjects(stack: string, docker = new Docker()): Promise<number> {
  const left = await listStackObjects(stack, docker);
  for (const c of left.containers) await docker.getContainer(c).remove({ force: true, v: true });
  for (const n of left.networks) await docker.getNetwork(n).remove();
  for (const v of left.volumes) await docker.getVolume(v).remove({ force: true });
  return left.containers.length + left.networks.length + left.volumes.length;
}

/**
 * Why the stack's containers are not serving, for an error message: every container of the stack that is
 * not running or not healthy, with its state, its health check's last output and the last lines of its
 * log. An `up` that fails on "container failed to be in healthy state" says only that; this says why.
 */
export async function describeUnhealthy(
  stack: string,
  docker = new Docker(),
  logLines = 12,
): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: filter(stack) });
  const out: string[] = [];
  for (const c of list) {
    const name = c.Names[0].replace(/^\//, "");
    const info = await docker.getContainer(c.Id).inspect();
    const health = info.State.Health;
    if (info.State.Running && (!health || health.Status === "healthy")) continue;
    const last = health?.Log?.at(-1);
    const probe = last
      ? `; last probe exit ${last.ExitCode}: ${last.Output.trim().slice(0, 300) || "(no output)"}`
      : "";
    out.push(
      `${name}: ${info.State.Status} (exit ${info.State.ExitCode}${info.State.Error ? `, ${info.State.Error}` : ""}), ` +
        `health ${health?.Status ?? "none"}${probe}`,
    );
    const raw = (await docker
      .getContainer(c.Id)
      .logs({ stdout: true, stderr: true, tail: logLines, follow: false })) as unknown as Buffer;
    for (const l of demuxDockerLogs(raw)
      .split("\n")
      .filter((x) => x.trim()))
      out.push(`  | ${l.slice(0, 300)}`);
  }
  return out;
}
