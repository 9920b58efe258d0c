import type * as pulumi from "@pulumi/pulumi";
import type { ImageSource, Limits } from "./types";
/** A config file the part reads, by absolute path inside its container. */
export interface ConfigFile {
    path: string;
    content: string;
    /**
     * Which group of files it ships with where a runtime delivers files in groups (a Kubernetes ConfigMap
     * per group, mounted at the files' common directory). Default "config".
     */
    group?: string;
}
/** One environment variable: plain, or a secret with the key it is stored under where secrets are objects. */
export type EnvVar = {
    name: string;
    value: string;
} | {
    name: string;
    secret: {
        key: string;
        value: pulumi.Input<string>;
    };
};
/** A named port the part listens on. */
export interface PortSpec {
    name: string;
    port: number;
}
/** An HTTP GET health endpoint: healthy on a 2xx. */
export interface HttpCheck {
    port: number;
    path: string;
}
/** A health check: an HTTP endpoint, or a command run inside the container (exit 0 = healthy). */
export type HealthCheck = HttpCheck | {
    command: string[];
};
/** A volume the part writes to. */
export type VolumeSpec = 
/** Data that must survive a replacement (Docker: a named volume; Kubernetes: a PersistentVolumeClaim). */
{
    kind: "persistent";
    name: string;
    path: string;
}
/**
 * Scratch data (Kubernetes: an emptyDir of at most `sizeLimit`). Docker leaves it to the image's own
 * VOLUME declaration.
 */
 | {
    kind: "scratch";
    name: string;
    path: string;
    sizeLimit: string;
}
/** A host path, read-only (Docker only: the Docker socket, cgroups and the like). */
 | {
    kind: "host";
    path: string;
    target: string;
};
export interface PartSpec {
    /** Role name: container or workload name, network alias, the role label. */
    role: string;
    /** What it runs: an image by name, or a build (runtimes that pull by name use `imageName`). */
    image: ImageSource;
    /** The whole command line, replacing the image's entrypoint. Default: the image's own. */
    command?: string[];
    /** Arguments to the image's own entrypoint (the prom images keep theirs). Default: the image's own. */
    args?: string[];
    /** In order; a runtime that takes one list puts secrets and plain values in this order. */
    env: EnvVar[];
    /** Named ports it listens on; the first is the one a runtime publishes or probes. */
    ports: PortSpec[];
    /**
     * The health check. A runtime with one check (Docker) runs this one; one with separate liveness and
     * readiness probes (Kubernetes) uses `probes` when set, else this one for both.
     */
    health: HealthCheck;
    /** Liveness and readiness paths on the first port, where they differ from `health`. Default: `health`. */
    probes?: {
        live: string;
        ready: string;
    };
    /**
     * What can run an HTTP `health` check inside the image: busybox/Debian `wget` (default), bash's
     * /dev/tcp, or `node -e fetch(...)`. Only runtimes that probe from inside the container use it.
     */
    probeWith?: "wget" | "bash" | "node";
    /** CPU and memory limits. Default: the runtime's own (none on Docker). */
    limits?: Limits;
    /** Config files delivered into the container (Docker uploads, Kubernetes ConfigMaps). */
    files: ConfigFile[];
    /** Volumes it writes to or reads from the host. */
    volumes: VolumeSpec[];
}
/** The image reference of a spec, for runtimes that pull by name ("" for a build of the repo). */
export declare function imageName(image: ImageSource): string;
export declare function isHttpCheck(h: HealthCheck): h is HttpCheck;
/** Plain entries of an environment list as `NAME=value` (splits at the first "="). */
export declare function envEntries(entries: string[]): EnvVar[];
