// Routing policies: which providers a tenant's requests may go to, with weights, expected latency and
// cost. Parsing reports every bad field by its JSON path; selection is weighted, skips providers whose
// circuit breaker is open and falls back in policy order.
import type { Decision } from "../../common/contract";
import type { CircuitBreakers } from "./breaker";

export interface ProviderSpec {
  id: string;
  weight: number;
  priority: number;
  expected_latency_ms: number;
  expected_cost: number;
}

export interface Policy {
  id: string;
  providers: ProviderSpec[];
}

export interface PolicySet {
  defaultPolicy: string;
  /** tenant id → policy id */
  tenants: Record<string, string>;
  policies: Map<string, Policy>;
}

// Provider ids become metric label values, so they are restricted to a short, safe alphabet and the
// total number of providers is bounded.
const PROVIDER_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const POLICY_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
export const MAX_PROVIDERS = 100;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates a parsed policies document; `problems` holds one message per bad field (by JSON path). */
export function parsePolicies(doc: unknown): { set?: PolicySet; problems: string[] } {
  const problems: string[] = [];
  const bad = (path: string, what: string) => problems.push(`${path} ${what}`);
  if (!isObject(doc)) return { problems: ["$ must be an object"] };
  if (!isObject(doc.policies) || Object.keys(doc.policies).length === 0) {
    return { problems: ["$.policies must be an object with at least one policy"] };
  }
  const policies = new Map<string, Policy>();
  const providerIds = new Set<string>();
  for (const [pid, p] of Object.entries(doc.policies)) {
    const path = `$.policies[${JSON.stringify(pid)}]`;
    if (!POLICY_ID.test(pid)) bad(path, "has an invalid policy id (1-128 of A-Z a-z 0-9 _ . : -)");
    if (!isObject(p) || !Array.isArray(p.providers) || p.providers.length === 0) {
      bad(`${path}.providers`, "must be a non-empty array");
      continue;
    }
    const providers: ProviderSpec[] = [];
    const seen = new Set<string>();
    p.providers.forEach((raw: unknown, i: number): void => {
      const pp = `${path}.providers[${i}]`;
      if (!isObject(raw)) return void bad(pp, "must be an object");
      const id = raw.id;
      if (typeof id !== "string" || !PROVIDER_ID.test(id)) {
        return void bad(`${pp}.id`, "must be a string of 1-64 characters from A-Z a-z 0-9 _ . -");
      }
      if (seen.has(id))
        return void bad(`${pp}.id`, `duplicates provider ${JSON.stringify(id)} in this policy`);
      seen.add(id);
      const num = (key: string, def: number | undefined, min: number): number => {
        const v = raw[key] ?? def;
        if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
          bad(`${pp}.${key}`, `must be a number >= ${min}${def === undefined ? "" : ` (default ${def})`}`);
          return min;
        }
        return v;
      };
      providers.push({
        id,
        weight: num("weight", 1, 0),
        priority: num("priority", i + 1, 0),
        expected_latency_ms: num("expected_latency_ms", undefined, 0),
        expected_cost: num("expected_cost", undefined, 0),
      });
      providerIds.add(id);
    });
    policies.set(pid, { id: pid, providers });
  }
  if (providerIds.size > MAX_PROVIDERS) {
    bad("$.policies", `names ${providerIds.size} distinct providers; at most ${MAX_PROVIDERS} are allowed`);
  }
  const defaultPolicy = doc.default_policy ?? "default";
  if (typeof defaultPolicy !== "string" || !policies.has(defaultPolicy)) {
    bad("$.default_policy", `must name a policy in $.policies, got ${JSON.stringify(defaultPolicy)}`);
  }
  const tenants: Record<string, string> = {};
  if (doc.tenants !== undefined) {
    if (!isObject(doc.tenants)) bad("$.tenants", "must be an object of tenant id → policy id");
    else {
      for (const [t, pid] of Object.entries(doc.tenants)) {
        if (typeof pid !== "string" || !policies.has(pid)) {
          bad(
            `$.tenants[${JSON.stringify(t)}]`,
            `must name a policy in $.policies, got ${JSON.stringify(pid)}`,
          );
        } else tenants[t] = pid;
      }
    }
  }
  if (problems.length) return { problems };
  return { set: { defaultPolicy: defaultPolicy as string, tenants, policies }, problems };
}

/** Every provider id any policy names (the bounded label set for provider metrics). */
export function providerIds(set: PolicySet): string[] {
  const ids = new Set<string>();
  for (const p of set.policies.values()) for (const pr of p.providers) ids.add(pr.id);
  return [...ids];
}

/** Seeded PRNG, so tests can make weighted selection reproducible. */
export { seededRandom } from "../../common/seeded-random";

function decisionFor(p: ProviderSpec, reason: string): Decision {
  return {
    provider_id: p.id,
    priority: p.priority,
    expected_latency_ms: p.expected_latency_ms,
    expected_cost: p.expected_cost,
    reason,
  };
}

export type SelectResult =
  | { ok: true; decision: Decision; provider: string; fallback: boolean }
  | {
      ok: false;
      code: "policy_not_found" | "decision_failed";
      message: string;
      details: Record<string, unknown>;
    };

/** Picks one provider by weight; undefined when every weight is 0. */
export function weightedPick(providers: ProviderSpec[], random: () => number): ProviderSpec | undefined {
  let total = 0;
  for (const p of providers) total += p.weight;
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const p of providers) {
    if (p.weight <= 0) continue;
    r -= p.weight;
    if (r < 0) return p;
  }
  // Floating-point edge (r landed exactly on total): the last weighted provider.
  for (let i = providers.length - 1; i >= 0; i--) if (providers[i].weight > 0) return providers[i];
  return undefined;
}

export class Selector {
  // The common answer ("weighted", no fallback) is one shared, never-mutated object per provider:
  // no allocation per decision, and the idempotency cache holds references instead of copies.
  private readonly weighted = new Map<ProviderSpec, Decision>();

  constructor(
    private readonly set: PolicySet,
    private readonly breakers: CircuitBreakers,
    private readonly random: () => number = Math.random,
  ) {
    for (const p of set.policies.values()) {
      for (const pr of p.providers) this.weighted.set(pr, Object.freeze(decisionFor(pr, "weighted")));
    }
  }

  policyFor(tenantId: string, policyId?: string): Policy | undefined {
    return this.set.policies.get(policyId ?? this.set.tenants[tenantId] ?? this.set.defaultPolicy);
  }

  /**
   * The primary provider is drawn by weight; if its breaker is open or it fails (`fails`, which fault
   * injection drives), the remaining providers are tried in policy order. Failures feed the breakers.
   */
  select(tenantId: string, policyId: string | undefined, fails: (provider: string) => boolean): SelectResult {
    const policy = this.policyFor(tenantId, policyId);
    if (!policy) {
      return {
        ok: false,
        code: "policy_not_found",
        message: `policy ${JSON.stringify(policyId)} does not exist`,
        details: { policy_id: policyId },
      };
    }
    const primary = weightedPick(policy.providers, this.random);
    const notes: string[] = [];
    const tryOne = (p: ProviderSpec): SelectResult | undefined => {
      if (!this.breakers.allows(p.id)) {
        notes.push(`${p.id} circuit open`);
        return undefined;
      }
      if (fails(p.id)) {
        this.breakers.failure(p.id);
        notes.push(`${p.id} failed`);
        return undefined;
      }
      this.breakers.success(p.id);
      const fallback = notes.length > 0 || p !== primary;
      const decision = !fallback
        ? this.weighted.get(p)!
        : decisionFor(p, notes.length ? `fallback: ${notes.join(", ")}` : "fallback: no weighted provider");
      return { ok: true, provider: p.id, fallback, decision };
    };
    if (primary) {
      const r = tryOne(primary);
      if (r) return r;
    }
    for (const p of policy.providers) {
      if (p === primary) continue;
      const r = tryOne(p);
      if (r) return r;
    }
    return {
      ok: false,
      code: "decision_failed",
      message: `no provider available in policy ${policy.id}: ${notes.join(", ")}`,
      details: { policy_id: policy.id, tried: notes },
    };
  }
}
