// The value types the components take, with the components: stacks/config.ts produces them from the
// stack config, every target hands them on. Nothing here depends on Pulumi or on stacks/.

/** Where a service image comes from: an existing image, or a build of the repo's Dockerfile. */
export type ImageSource =
  { kind: "image"; name: string } | { kind: "build"; dockerfile: string; baseImage?: string };

export interface Limits {
  /** CPU cores (docker `--cpus`), e.g. 0.5. */
  cpus: number;
  /** Memory limit as written in config ("256Mi", "1g"); bytes and whole MiB derived from it (parseMemory). */
  memory: string;
  memoryBytes: number;
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
