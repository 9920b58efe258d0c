// The value types the components take, with the components: stacks/config.ts produces them from the
// stack config, every target hands them on. Nothing here depends on Pulumi or on stacks/.

/** Where a service image comes from: an existing image, or a build of a Dockerfile. */
export type ImageSource =
  | {
      /** An existing image. */
      kind: "image";
      /** Image reference pinned by tag or digest, e.g. "ghcr.io/acme/router:1.4.2"; pulled, kept locally. */
      name: string;
    }
  | {
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

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
};

/**
 * Parses a memory size as docker ("512m", "1g") or Kubernetes ("256Mi", "1Gi") write it; plain numbers
 * are bytes. Units are binary either way (docker's meaning), which is what both runtimes enforce.
 * Returns undefined when the string is not a size.
 */
export function parseMemory(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]{0,2})$/.exec(s.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

/**
 * Limits from CPU cores and a memory size ("256Mi", "512m", "1g"; binary units, at least 6Mi, docker's
 * minimum). Throws naming the bad value.
 */
export function limits(cpus: number, memory: string): Limits {
  if (!(cpus > 0)) throw new Error(`limits: cpus must be a positive number of cores, got ${cpus}`);
  const bytes = parseMemory(memory);
  if (bytes === undefined || bytes < 6 * 1024 ** 2)
    throw new Error(
      `limits: memory must be a size of at least 6Mi like "256Mi" or "1g", got ${JSON.stringify(memory)}`,
    );
  return { cpus, memory, memoryBytes: bytes, memoryMb: Math.ceil(bytes / 1024 ** 2) };
}
