// The Docker realizer: a part spec (components/spec.ts) as the arguments of one docker.Container. The
// Docker components (NatsCluster, BeamlineService, Observability) place a spec (name, network, image,
// published ports, volumes) and create the container; what runs comes from the spec alone.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
  bashHealthcheck,
  labels,
  limitArgs,
  nodeHealthcheck,
  SIDE_TIMING,
  wgetHealthcheck,
  type HealthTiming,
} from "./common";
import { isHttpCheck, type PartSpec } from "./spec";

export interface DockerPlacement {
  stack: string;
  /** Prefix of the container name, e.g. "pg-dev". */
  namePrefix: string;
  network: pulumi.Input<string>;
  /** The container's name after the prefix and its first network alias. Default: the spec's role. */
  name?: string;
  /** Network aliases. Default: [name]. */
  aliases?: string[];
  /** The image reference to run (a pulled or built image's id or name). */
  image: pulumi.Input<string>;
  /** Health check timing for `wget` and command checks. Default SIDE_TIMING. */
  timing?: HealthTiming;
  /** Published ports; unset leaves the key out. */
  ports?: docker.types.input.ContainerPort[];
  /** Docker volume name per persistent spec volume (by the volume's name). */
  volumes?: Record<string, pulumi.Input<string>>;
  /** Labels after the stack and role labels. */
  extraLabels?: docker.types.input.ContainerLabel[];
  /** Default "unless-stopped". */
  restart?: string;
}

/** The container health check of a spec: the check run with the tool its image has, at `timing`. */
export function dockerHealthcheck(
  spec: PartSpec,
  timing: HealthTiming = SIDE_TIMING,
): docker.types.input.ContainerHealthcheck {
  const h = spec.health;
  if (!isHttpCheck(h)) return { tests: ["CMD", ...h.command], ...timing };
  const url = `http://127.0.0.1:${h.port}${h.path}`;
  switch (spec.probeWith ?? "wget") {
    case "bash":
      return bashHealthcheck(h.port, h.path, timing);
    case "node":
      return nodeHealthcheck(url);
    case "wget":
      return wgetHealthcheck(url, timing);
  }
}

/**
 * The environment as one `NAME=value` list; a secret as a whole when any entry is (Docker has no
 * per-variable secrets). Undefined for a part without environment.
 */
export function dockerEnv(spec: PartSpec): pulumi.Input<string[]> | undefined {
  if (spec.env.length === 0) return undefined;
  const values = spec.env.map((e) => ("secret" in e ? e.secret.value : e.value));
  const list = pulumi.all(values).apply((v) => spec.env.map((e, i) => `${e.name}=${v[i]}`));
  return spec.env.some((e) => "secret" in e) ? pulumi.secret(list) : list;
}

/**
 * docker.Container arguments for a spec: fixed name, one network, health-gated (`wait`), limits,
 * restart policy, labels, config files as `uploads`, persistent volumes and host paths as mounts.
 */
export function containerArgs(spec: PartSpec, p: DockerPlacement): docker.ContainerArgs {
  const name = p.name ?? spec.role;
  const command = spec.command ?? spec.args;
  const envs = dockerEnv(spec);
  const mounts = spec.volumes.flatMap((v): docker.types.input.ContainerMount[] => {
    switch (v.kind) {
      case "persistent": {
        const source = p.volumes?.[v.name];
        if (source === undefined) throw new Error(`${name}: no docker volume for ${v.name}`);
        return [{ type: "volume", source, target: v.path }];
      }
      case "host":
        return [{ type: "bind", source: v.path, target: v.target, readOnly: true }];
      case "scratch":
        // The image's own VOLUME declaration holds it.
        return [];
    }
  });
  return {
    name: `${p.namePrefix}-${name}`,
    image: p.image,
    ...(command ? { command } : {}),
    ...(envs ? { envs } : {}),
    ...(spec.files.length ? { uploads: spec.files.map((f) => ({ file: f.path, content: f.content })) } : {}),
    ...(mounts.length ? { mounts } : {}),
    networksAdvanced: [{ name: p.network, aliases: p.aliases ?? [name] }],
    ...(p.ports ? { ports: p.ports } : {}),
    healthcheck: dockerHealthcheck(spec, p.timing),
    wait: true,
    waitTimeout: 120,
    restart: p.restart ?? "unless-stopped",
    ...(spec.limits ? limitArgs(spec.limits) : {}),
    labels: [...labels(p.stack, spec.role), ...(p.extraLabels ?? [])],
  };
}
