// The loopback stack the validation tests (and `--stack local`) run against: the local stack with tenant
// tokens and a per-tenant rate limit switched on, so the E2E checks for 401 and 429 have something to
// hit, and a shorter router timeout so the timeout scenarios finish quickly. The matching E2E options
// (tokens, timeout) come with it, since they are properties of this configuration.
import type { E2EOptions } from "./e2e/context";
import { DEFAULT_E2E_TENANTS } from "./e2e/context";
import { LocalStack, LocalStackOptions, startLocalStack } from "./local-stack";

export const LOAD_TENANTS = Array.from({ length: 48 }, (_, i) => `load-tenant-${i}`);

export interface ValidationStack extends LocalStack {
  e2e: E2EOptions;
  /** Tenants (with their tokens) the load profiles may use. */
  load: { tenants: string[]; tenantTokens: Record<string, string> };
}

export async function startValidationStack(
  opts: LocalStackOptions & { routerTimeoutMs?: number; rateLimitRps?: number } = {},
): Promise<ValidationStack> {
  const timeoutMs = opts.routerTimeoutMs ?? 3000;
  const tenants = [...DEFAULT_E2E_TENANTS, ...LOAD_TENANTS];
  const tenantTokens = Object.fromEntries(tenants.map((t, i) => [t, `tok-${i}-${t}`]));
  const rps = opts.rateLimitRps ?? 300;
  // A lower in-flight bound than the default 1024 keeps the shedding check quick and deterministic.
  const maxInflight = 256;
  const stack = await startLocalStack({
    ...opts,
    gatewayEnv: {
      ROUTER_REQUEST_TIMEOUT_MS: String(timeoutMs),
      GATEWAY_TENANT_TOKENS: Object.entries(tenantTokens)
        .map(([t, k]) => `${t}:${k}`)
        .join(","),
      GATEWAY_RATE_LIMIT_RPS: String(rps),
      GATEWAY_RATE_LIMIT_BURST: String(rps),
      GATEWAY_MAX_INFLIGHT: String(maxInflight),
      ...opts.gatewayEnv,
    },
  });
  return {
    ...stack,
    e2e: {
      gatewayTimeoutMs: timeoutMs,
      gatewayMaxInflight: maxInflight,
      tenantTokens,
      tenants: DEFAULT_E2E_TENANTS,
    },
    load: { tenants: LOAD_TENANTS, tenantTokens },
  };
}
