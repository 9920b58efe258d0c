// `down`: removes every container, network and volume carrying the stack's harness label, then lists
// what is left (the caller fails when anything remains).
import Docker from "dockerode";
import { harnessFilter } from "./labels";

export interface StackObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export async function listStackObjects(docker: Docker, stack: string): Promise<StackObjects> {
  const filters = harnessFilter(stack);
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

export function isEmpty(o: StackObjects): boolean {
  return o.containers.length + o.networks.length + o.volumes.length === 0;
}

/** Removes the stack's objects (containers first, with their anonymous volumes) and returns leftovers. */
export async function removeStack(docker: Docker, stack: string): Promise<StackObjects> {
  const found = await listStackObjects(docker, stack);
  const ignoreGone = (e: { statusCode?: number }) => {
    if (e.statusCode !== 404) throw e;
  };
  await Promise.all(
    found.containers.map((n) => docker.getContainer(n).remove({ force: true, v: true }).catch(ignoreGone)),
  );
  // Networks and volumes only become removable once every container using them is gone.
  await Promise.all(found.networks.map((n) => docker.getNetwork(n).remove().catch(ignoreGone)));
  await Promise.all(found.volumes.map((v) => docker.getVolume(v).remove().catch(ignoreGone)));
  return listStackObjects(docker, stack);
}

export function describe(o: StackObjects): string {
  return [
    o.containers.length ? `containers: ${o.containers.join(", ")}` : "",
    o.networks.length ? `networks: ${o.networks.join(", ")}` : "",
    o.volumes.length ? `volumes: ${o.volumes.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}
