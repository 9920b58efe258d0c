// Seeded request bodies for the load profiles: the same seed gives the same sequence of sizes and
// invalid requests on every run and machine, so runs are comparable and the expected 4xx count is exact.

import { seededRandom } from "../services/common/seeded-random";

export { seededRandom };

/** Integer in [min, max] from a PRNG. */
export function randInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** `task.payload` as JSON of exactly `size` bytes (at least 13, the empty prompt object). */
export function payloadOfSize(size: number): { prompt: string } {
  const base = Buffer.byteLength(JSON.stringify({ prompt: "" }));
  return { prompt: "x".repeat(Math.max(0, size - base)) };
}

/**
 * A valid decide body whose `task.payload` serializes to exactly `size` bytes: the profiles' "payload
 * size" is the client's payload, not the envelope around it (ids and tenant add ~100 bytes).
 */
export function decideBodyOfSize(tenant: string, requestId: string, size: number): string {
  return JSON.stringify({
    version: "1",
    tenant_id: tenant,
    request_id: requestId,
    task: { type: "text.generate", payload: payloadOfSize(size) },
  });
}

/** The kinds of invalid request the `errors` profile mixes in; each must yield exactly one 4xx. */
export const INVALID_KINDS = ["bad-json", "bad-version", "missing-task-type", "missing-tenant"] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export interface PlannedBody {
  body: string;
  /** Whether the gateway must accept it (2xx) or reject it with a 4xx. */
  valid: boolean;
  kind: "valid" | InvalidKind;
  /** Send without the X-Tenant-ID header. */
  omitTenant?: boolean;
}

/**
 * The i-th request of a seeded plan: sizes uniform in [minSize, maxSize], and a share `invalidShare` of
 * invalid requests. Deterministic in (seed, i) so any request can be rebuilt without keeping the plan.
 */
export function plannedBody(
  seed: number,
  i: number,
  tenant: string,
  requestId: string,
  opts: { minSize?: number; maxSize?: number; invalidShare?: number } = {},
): PlannedBody {
  const rand = seededRandom((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const size = randInt(rand, opts.minSize ?? 64, opts.maxSize ?? 1024);
  const invalid = rand() < (opts.invalidShare ?? 0);
  if (!invalid) return { body: decideBodyOfSize(tenant, requestId, size), valid: true, kind: "valid" };
  const kind = INVALID_KINDS[Math.floor(rand() * INVALID_KINDS.length)];
  const good = JSON.parse(decideBodyOfSize(tenant, requestId, size));
  switch (kind) {
    case "bad-json":
      return { body: JSON.stringify(good).slice(0, -1), valid: false, kind };
    case "bad-version":
      return { body: JSON.stringify({ ...good, version: "0" }), valid: false, kind };
    case "missing-task-type":
      return { body: JSON.stringify({ ...good, task: { payload: good.task.payload } }), valid: false, kind };
    case "missing-tenant":
      return { body: JSON.stringify(good), valid: false, kind, omitTenant: true };
  }
}

/** How many of the first `n` planned requests are invalid (the exact 4xx the errors gate expects). */
export function expectedInvalid(seed: number, n: number, invalidShare: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (!plannedBody(seed, i, "t", "r", { invalidShare }).valid) k++;
  return k;
}
