// Durations written on command lines ("90s", "30m", "2h", "2d"): one parser for every flag that takes
// one (`npm run validate -- --duration`, `--ttl` of the expiring stacks), each with its own units,
// minimum and error wording.

/** What one flag accepts. */
export interface DurationSyntax {
  /** The flag, named in every error, e.g. "--ttl". */
  flag: string;
  /** Unit suffix → milliseconds, e.g. { s: 1000, m: 60_000 }. */
  units: Record<string, number>;
  /** The unit of a bare number ("90"); without one, a unit is required. */
  defaultUnit?: string;
  /** Smallest accepted value in ms. */
  minMs: number;
  /** How a valid value looks, for the errors, e.g. "90s, 30m, 4h or 2d". */
  examples: string;
}

/** The duration in milliseconds; throws an Error naming `syntax.flag` and what was expected. */
export function parseDurationMs(s: string, syntax: DurationSyntax): number {
  // Longest suffix first, so that "ms" is not read as "m" followed by junk.
  const suffixes = Object.keys(syntax.units).sort((a, b) => b.length - a.length);
  const m = new RegExp(`^(\\d+(?:\\.\\d+)?)(${suffixes.join("|")})${syntax.defaultUnit ? "?" : ""}$`).exec(
    s.trim(),
  );
  if (!m) throw new Error(`${syntax.flag} must look like ${syntax.examples}, got ${JSON.stringify(s)}`);
  const ms = Number(m[1]) * syntax.units[m[2] ?? syntax.defaultUnit!]!;
  if (ms < syntax.minMs)
    throw new Error(`${syntax.flag} must be at least ${formatMs(syntax.minMs)}, got ${JSON.stringify(s)}`);
  return ms;
}

/** "1 s", "1.5 s", "250 ms": the minimum in an error. */
function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
