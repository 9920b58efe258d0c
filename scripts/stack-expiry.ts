// Expiring stacks: a stack's expiry is the stack tag `proving-ground:expires-at` (an ISO 8601 time), set
// by whoever creates a throwaway stack (`npm run prove -- --ttl 4h`) and read by `npm run reap`
// (scripts/reap.ts), which destroys the stacks past it.
//
// Why a stack tag: the local file backend of Pulumi CLI 3.248 accepts tags (tried on a throwaway stack
// in a temp `file://` backend: `pulumi stack tag set|get|ls` work, `stack ls --tag <name>` filters by
// them, and they live in `<backend>/.pulumi/stacks/<project>/<stack>.pulumi-tags`, beside the state and
// outside Pulumi.<stack>.yaml). So the expiry travels with the stack's state in any backend, `pulumi
// stack rm` removes it with the stack, and `pulumi stack tag ls` shows it without this project's code.
// A file of our own beside the state, or the stack's config file (which would rewrite a user's
// Pulumi.<stack>.yaml), is not needed.
import type { Stack } from "@pulumi/pulumi/automation";
import { parseDurationMs } from "../tooling/duration";

/** The stack tag holding the expiry, an ISO 8601 time (`new Date().toISOString()`). */
export const EXPIRY_TAG = "proving-ground:expires-at";

/** `--ttl` ("90s", "30m", "4h", "2d") → milliseconds; throws an Error naming --ttl otherwise. */
export function parseTtl(s: string): number {
  return parseDurationMs(s, {
    flag: "--ttl",
    units: { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 },
    minMs: 1000,
    examples: "90s, 30m, 4h or 2d (a positive number and a unit: s, m, h or d)",
  });
}

/** The expiry in a stack's tags; undefined without the tag, an Error naming the tag when it is no time. */
export function expiryFromTags(tags: Record<string, string>): Date | undefined {
  const value = tags[EXPIRY_TAG];
  if (value === undefined) return undefined;
  const at = new Date(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(at.getTime()))
    throw new Error(`stack tag ${EXPIRY_TAG} is not an ISO 8601 time: ${JSON.stringify(value)}`);
  return at;
}

/** Records when the stack expires (replaces an earlier expiry). */
export async function setExpiry(stack: Stack, expiresAt: Date): Promise<void> {
  if (Number.isNaN(expiresAt.getTime())) throw new Error(`setExpiry(${stack.name}): invalid date`);
  await stack.setTag(EXPIRY_TAG, expiresAt.toISOString());
}

/** When the stack expires; undefined when it has no expiry. */
export async function getExpiry(stack: Stack): Promise<Date | undefined> {
  return expiryFromTags(await stack.listTags());
}
