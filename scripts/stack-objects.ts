// A stack's Docker objects as the Docker API lists them: every container, network and volume the
// components create carries the label proving-ground.stack=<stack> (components/common.ts).
import Docker from "dockerode";
import { STACK_LABEL } from "../components/common";

export interface StackObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
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
