// The one argument parser of the command lines (`npm run validate`, `npm run chaos`, `npm run prove`):
// node's util.parseArgs splits argv into tokens (`--flag v`, `--flag=v`, `-h`, positionals); readFlags
// hands them over in argv order, so each command line handles its flags as given, and stops at the first
// unknown flag, a flag without its value or a switch given one. Every error names the flag.
import { parseArgs } from "node:util";
import { parseTenantTokens as parseTenantTokenList } from "../services/common/service-contract";

/** Bad usage: the command lines print it with their usage text and exit 2. */
export class UsageError extends Error {
  name = "UsageError";
}

export interface FlagSpec {
  /** string: takes a value (`--f v` or `--f=v`); boolean: a switch, takes none. */
  type: "string" | "boolean";
  short?: string;
  /** What the value looks like, e.g. "name": the error then reads `--stack needs a value: --stack <name>`. */
  expected?: string;
}

/** A known flag as given: its name, `--name` for messages, its value ("" for a switch). */
export interface Flag {
  kind: "flag";
  name: string;
  flag: string;
  value: string;
}

export type FlagToken = Flag | { kind: "positional"; value: string };

export interface ReadFlagsOptions {
  /** The message for an unknown flag, from the argument as given (default: unknown flag "<arg>"). */
  unknownFlag?: (arg: string) => string;
  /** Yield positionals; without, a positional is reported as an unknown flag. */
  positionals?: boolean;
}

/**
 * The flags and positionals of argv in order. A string flag's value is missing when there is none, it
 * is empty, or it is the next argument and starts with `--` (a forgotten value, not a value).
 */
export function readFlags(
  argv: string[],
  flags: Record<string, FlagSpec>,
  opts: ReadFlagsOptions & { positionals: true },
): Generator<FlagToken>;
export function readFlags(
  argv: string[],
  flags: Record<string, FlagSpec>,
  opts?: ReadFlagsOptions,
): Generator<Flag>;
export function* readFlags(
  argv: string[],
  flags: Record<string, FlagSpec>,
  opts: ReadFlagsOptions = {},
): Generator<FlagToken> {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [
      name,
      f.short ? { type: f.type, short: f.short } : { type: f.type },
    ]),
  );
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const unknown = opts.unknownFlag ?? ((arg: string) => `unknown flag ${JSON.stringify(arg)}`);
  for (const t of tokens) {
    if (t.kind === "positional") {
      if (!opts.positionals) throw new UsageError(unknown(t.value));
      yield { kind: "positional", value: t.value };
      continue;
    }
    if (t.kind === "option-terminator" || !Object.hasOwn(flags, t.name))
      throw new UsageError(unknown(argv[t.index]));
    const spec = flags[t.name];
    const flag = `--${t.name}`;
    if (spec.type === "boolean") {
      if (t.value !== undefined) throw new UsageError(`${flag} takes no value`);
      yield { kind: "flag", name: t.name, flag, value: "" };
      continue;
    }
    const v = t.value;
    if (v === undefined || v === "" || (!t.inlineValue && v.startsWith("--")))
      throw new UsageError(`${flag} needs a value${spec.expected ? `: ${flag} <${spec.expected}>` : ""}`);
    yield { kind: "flag", name: t.name, flag, value: v };
  }
}

/**
 * `tenant:token,…` (the token may itself contain `:`), parsed as the gateway parses
 * GATEWAY_TENANT_TOKENS. An entry that is not a pair is named by its position, never echoed: it may
 * hold a token.
 */
export function parseTenantTokens(s: string, flag = "--tenant-tokens"): Record<string, string> {
  const { tokens, problems } = parseTenantTokenList(s, flag);
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return Object.fromEntries(tokens);
}
