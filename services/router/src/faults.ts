// Opt-in fault injection (ROUTER_FAULTS_ENABLED): other suites drive the router through
// `beamline.router.control.v1.faults` to produce delays, error codes, dropped or non-JSON replies,
// forced backpressure and failing providers. A spec applies to one tenant or (without tenant_id) to
// all; a tenant's own spec takes precedence over the global one.
import type { FaultSpec } from "../../common/contract";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const GLOBAL = "*";

/** Checks a FaultSpec request body; returns the spec or a message naming the bad field. */
export function parseFaultSpec(body: unknown): { spec?: FaultSpec; error?: string } {
  if (!isObject(body)) return { error: "fault spec must be a JSON object" };
  const known = new Set([
    "tenant_id",
    "delay_ms",
    "hold",
    "error_code",
    "error_message",
    "intake_error_code",
    "error_rate",
    "drop_rate",
    "raw_reply",
    "backpressure",
    "fail_providers",
    "clear",
  ]);
  for (const k of Object.keys(body))
    if (!known.has(k)) return { error: `unknown fault field ${JSON.stringify(k)}` };
  const str = (k: string) => body[k] === undefined || (typeof body[k] === "string" && body[k] !== "");
  for (const k of ["tenant_id", "error_code", "error_message", "intake_error_code"]) {
    if (!str(k)) return { error: `${k} must be a non-empty string` };
  }
  if (body.raw_reply !== undefined && typeof body.raw_reply !== "string")
    return { error: "raw_reply must be a string" };
  const d = body.delay_ms;
  if (d !== undefined && (typeof d !== "number" || !Number.isFinite(d) || d < 0 || d > 600000)) {
    return { error: "delay_ms must be a number between 0 and 600000" };
  }
  for (const k of ["error_rate", "drop_rate"]) {
    const v = body[k];
    if (v !== undefined && (typeof v !== "number" || !(v >= 0 && v <= 1)))
      return { error: `${k} must be between 0 and 1` };
  }
  if (body.backpressure !== undefined && !["ok", "warning", "active"].includes(body.backpressure as string)) {
    return { error: "backpressure must be one of ok, warning, active" };
  }
  const fp = body.fail_providers;
  if (fp !== undefined && (!Array.isArray(fp) || !fp.every((p) => typeof p === "string"))) {
    return { error: "fail_providers must be an array of provider ids" };
  }
  if (body.hold !== undefined && typeof body.hold !== "boolean") return { error: "hold must be a boolean" };
  if (body.clear !== undefined && typeof body.clear !== "boolean")
    return { error: "clear must be a boolean" };
  return { spec: body as FaultSpec };
}

export class FaultRegistry {
  private readonly specs = new Map<string, FaultSpec>();
  private readonly failSets = new Map<string, Set<string>>();

  constructor(private readonly random: () => number = Math.random) {}

  /** True when no fault is set (lets the hot path skip all fault work). */
  get empty(): boolean {
    return this.specs.size === 0;
  }

  /** Applies a command: `clear` removes the tenant's spec (or all specs without tenant_id), else replaces it. */
  apply(spec: FaultSpec): void {
    const key = spec.tenant_id ?? GLOBAL;
    if (spec.clear) {
      if (spec.tenant_id === undefined) {
        this.specs.clear();
        this.failSets.clear();
      } else {
        this.specs.delete(key);
        this.failSets.delete(key);
      }
      return;
    }
    this.specs.set(key, spec);
    this.failSets.set(key, new Set(spec.fail_providers ?? []));
  }

  active(): FaultSpec[] {
    return [...this.specs.values()];
  }

  forTenant(tenantId: string | undefined): FaultSpec | undefined {
    if (this.specs.size === 0) return undefined;
    return (tenantId !== undefined ? this.specs.get(tenantId) : undefined) ?? this.specs.get(GLOBAL);
  }

  /** Whether `provider` should fail for this tenant. */
  providerFails(tenantId: string, provider: string): boolean {
    if (this.failSets.size === 0) return false;
    const set = this.failSets.get(tenantId) ?? this.failSets.get(GLOBAL);
    return !!set && set.has(provider);
  }

  /** Forced backpressure state (the global spec's, else any tenant's). */
  backpressure(): FaultSpec["backpressure"] {
    const g = this.specs.get(GLOBAL)?.backpressure;
    if (g) return g;
    for (const s of this.specs.values()) if (s.backpressure) return s.backpressure;
    return undefined;
  }

  /** Rolls the dice for one request: what the fault spec makes of it. */
  roll(spec: FaultSpec): { drop: boolean; error: boolean } {
    const drop = spec.drop_rate !== undefined && this.random() < spec.drop_rate;
    const error = spec.error_code !== undefined && this.random() < (spec.error_rate ?? 1);
    return { drop, error };
  }
}
