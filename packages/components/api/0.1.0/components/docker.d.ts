import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { type HealthTiming } from "./common";
import { type PartSpec } from "./spec";
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
export declare function dockerHealthcheck(spec: PartSpec, timing?: HealthTiming): docker.types.input.ContainerHealthcheck;
/**
 * The environment as one `NAME=value` list; a secret as a whole when any entry is (Docker has no
 * per-variable secrets). Undefined for a part without environment.
 */
export declare function dockerEnv(spec: PartSpec): pulumi.Input<string[]> | undefined;
/**
 * docker.Container arguments for a spec: fixed name, one network, health-gated (`wait`), limits,
 * restart policy, labels, config files as `uploads`, persistent volumes and host paths as mounts.
 */
export declare function containerArgs(spec: PartSpec, p: DockerPlacement): docker.ContainerArgs;
