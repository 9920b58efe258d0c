// Small pure helpers that turn provider input values into Docker Engine API values.
import crypto from "node:crypto";

// The SDK marks secret inputs with this signature object (see @pulumi/pulumi runtime/rpc.js); the mock
// monitor hands them to `newResource` still wrapped, so the harness unwraps before talking to Docker.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Deeply replaces `{<sig>: <secret>, value}` wrappers with their values. */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object" && v.constructor === Object) {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = unwrapSecrets(x);
    return out;
  }
  return v;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A Go-style duration as the provider accepts for health checks ("5s", "1m30s", "250ms", "0s") in
 * nanoseconds, which is what the Engine API wants. Throws naming `field` on anything else.
 */
export function durationNs(value: string | undefined, field: string): number {
  if (value === undefined || value === "") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of value.matchAll(re)) {
    if (m.index !== consumed) break;
    total += parseFloat(m[1]) * UNIT_NS[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== value.length || consumed === 0) {
    throw new Error(
      `${field}: expected a duration like "5s", "500ms" or "1m30s", got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(total);
}

/** The provider's `cpus` string ("1.5") as NanoCpus. */
export function nanoCpus(cpus: string | undefined): number | undefined {
  if (cpus === undefined || cpus === "") return undefined;
  const n = Number(cpus);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`cpus: expected a positive number like "0.5", got ${cpus}`);
  return Math.round(n * 1e9);
}

/** Megabytes (the provider's unit for memory fields) as bytes; -1 (unlimited swap) stays -1. */
export function mbToBytes(mb: number | undefined): number | undefined {
  if (mb === undefined || mb === null) return undefined;
  return mb < 0 ? mb : Math.round(mb * 1024 * 1024);
}

/** Pulumi-style auto-name: the logical name plus a short random suffix, used when `name` is not given. */
export function autoName(logical: string): string {
  return `${logical}-${crypto.randomBytes(4).toString("hex").slice(0, 7)}`;
}

/**
 * Splits a Docker log stream as returned for a non-TTY container (8-byte frame headers: stream type,
 * 3 zero bytes, big-endian length) into text. TTY containers have no frames; pass `tty` to skip parsing.
 */
export function demuxLogs(buf: Buffer, tty = false): string {
  if (tty) return buf.toString("utf8");
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const type = buf[off];
    const len = buf.readUInt32BE(off + 4);
    if (type > 2 || buf[off + 1] !== 0 || off + 8 + len > buf.length) {
      // Not a framed stream after all: return the rest verbatim rather than losing it.
      parts.push(buf.subarray(off));
      off = buf.length;
      break;
    }
    parts.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  if (off < buf.length) parts.push(buf.subarray(off));
  return Buffer.concat(parts).toString("utf8");
}

/** The upload's file mode: `permissions` (octal string) wins over `executable` (0744 vs 0644), as documented. */
export function uploadMode(u: { permissions?: string; executable?: boolean }): number {
  if (u.permissions) {
    const m = parseInt(u.permissions, 8);
    if (!Number.isFinite(m) || m < 0 || m > 0o7777) {
      throw new Error(`uploads.permissions: expected an octal mode like "0644", got ${u.permissions}`);
    }
    return m;
  }
  return u.executable ? 0o744 : 0o644;
}

/** Last `n` lines of a text, for error messages and log tails. */
export function tail(text: string, n = 40): string {
  const lines = text.trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}
