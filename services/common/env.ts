// Environment configuration with validated values. Every error names the variable and what was
// expected, and all problems are reported at once so an operator fixes them in one pass. `get` reads a
// variable of the service contract (./service-contract.ts) with its declared default and range.
import type { BoolVar, EnvVar, IntVar, ListVar, NumberVar, OneOfVar, StringVar } from "./service-contract";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Collects problems while reading variables; call `done()` to throw them together. */
export class EnvReader {
  private problems: string[] = [];
  constructor(private readonly env: Env = process.env) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  }

  string(name: string, def: string): string;
  string(name: string, def?: undefined): string | undefined;
  string(name: string, def?: string): string | undefined {
    return this.raw(name) ?? def;
  }

  required(name: string, hint: string): string {
    const v = this.raw(name);
    if (v === undefined) this.problems.push(`${name} is required (${hint})`);
    return v ?? "";
  }

  int(name: string, def: number, { min = -Infinity, max = Infinity } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) {
      this.problems.push(`${name} must be an integer, got ${JSON.stringify(v)}`);
      return def;
    }
    if (n < min || n > max) {
      this.problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
      return def;
    }
    return n;
  }

  number(name: string, def: number, { min = -Infinity, max = Infinity } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      this.problems.push(`${name} must be a number, got ${JSON.stringify(v)}`);
      return def;
    }
    if (n < min || n > max) {
      this.problems.push(`${name} must be between ${min} and ${max}, got ${n}`);
      return def;
    }
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase();
    if (["1", "true", "yes", "on"].includes(l)) return true;
    if (["0", "false", "no", "off"].includes(l)) return false;
    this.problems.push(`${name} must be true or false, got ${JSON.stringify(v)}`);
    return def;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
      return def;
    }
    return v as T;
  }

  list(name: string, def: string[] = []): string[] {
    const v = this.raw(name);
    if (v === undefined) return def;
    return v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /**
   * Reads a declared variable with its default and range; `def` replaces the default where the contract
   * leaves it to the reader (a default computed from another variable).
   */
  get(v: IntVar | NumberVar, def?: number): number;
  get(v: BoolVar): boolean;
  get(v: StringVar<string>): string;
  get(v: StringVar): string | undefined;
  get(v: ListVar): string[];
  get<T extends string>(v: OneOfVar<T>): T;
  get(v: EnvVar, def?: number): unknown {
    switch (v.kind) {
      case "int":
      case "number": {
        const d = def ?? v.default;
        if (d === undefined) throw new Error(`${v.name}: no default declared or given`);
        return this[v.kind](v.name, d, { min: v.min, max: v.max });
      }
      case "bool":
        return this.bool(v.name, v.default);
      case "string":
        return v.default === undefined ? this.string(v.name) : this.string(v.name, v.default);
      case "list":
        return this.list(v.name, [...v.default]);
      case "oneOf":
        return this.oneOf(v.name, v.values, v.default);
    }
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}
