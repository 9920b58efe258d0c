/** Where a service image comes from: an existing image, or a build of a Dockerfile. */
export type ImageSource = {
    /** An existing image. */
    kind: "image";
    /** Image reference pinned by tag or digest, e.g. "ghcr.io/acme/router:1.4.2"; pulled, kept locally. */
    name: string;
} | {
    /** A `docker build` on the target engine (kept local, tagged `proving-ground/<kind>:<stack>`). */
    kind: "build";
    /** Dockerfile path relative to `context`, e.g. "services/router/Dockerfile". */
    dockerfile: string;
    /** `BASE_IMAGE` build argument. Default: none (the Dockerfile's own default). */
    baseImage?: string;
    /**
     * Build context directory (absolute, or relative to the program's working directory). Default: the
     * proving-ground repository root, which is only right for programs inside that repository; a
     * program using the npm package sets its own.
     */
    context?: string;
};
/** CPU and memory limits of one container or pod; build one with `limits(cpus, memory)`. */
export interface Limits {
    /** CPU cores (docker `--cpus`), e.g. 0.5. */
    cpus: number;
    /** Memory limit as written in config ("256Mi", "1g"); bytes and whole MiB derived from it (parseMemory). */
    memory: string;
    /** `memory` in bytes. */
    memoryBytes: number;
    /** `memory` in whole MiB, rounded up (docker's memory limit). */
    memoryMb: number;
}
/**
 * Parses a memory size as docker ("512m", "1g") or Kubernetes ("256Mi", "1Gi") write it; plain numbers
 * are bytes. Units are binary either way (docker's meaning), which is what both runtimes enforce.
 * Returns undefined when the string is not a size.
 */
export declare function parseMemory(s: string): number | undefined;
/**
 * Limits from CPU cores and a memory size ("256Mi", "512m", "1g"; binary units, at least 6Mi, docker's
 * minimum). Throws naming the bad value.
 */
export declare function limits(cpus: number, memory: string): Limits;
