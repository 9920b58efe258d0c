// services/common/service-contract.ts: the one statement of the services' variables. The services'
// readers, the components' environment and the stack config's range checks all follow it.
import assert from "node:assert/strict";
import { serviceEnv } from "../../components/service";
import { ConfigError } from "../../services/common/env";
import {
  GATEWAY_ENV,
  NATS_ENV,
  parseTenantTokens,
  renderTenantTokens,
  ROUTER_ENV,
  type EnvVar,
} from "../../services/common/service-contract";
import { loadGatewayConfig } from "../../services/gateway/src/config";
import { loadRouterConfig } from "../../services/router/src/config";
import { parseConfig } from "../../stacks/config";

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  return [];
}

const ranged = (vars: Record<string, EnvVar>) =>
  Object.values(vars).filter(
    (v): v is Extract<EnvVar, { min: number }> => v.kind === "int" || v.kind === "number",
  );

describe("service contract", () => {
  for (const [service, vars, load] of [
    ["gateway", { ...NATS_ENV, ...GATEWAY_ENV }, loadGatewayConfig],
    ["router", { ...NATS_ENV, ...ROUTER_ENV }, loadRouterConfig],
  ] as const) {
    it(`the ${service} reads every ranged variable with the contract's range`, () => {
      for (const v of ranged(vars)) {
        for (const bad of [v.max + 1, v.min - 1].filter(Number.isFinite)) {
          const p = problems(() => load({ [v.name]: String(bad) }));
          assert.ok(
            p.includes(`${v.name} must be between ${v.min} and ${v.max}, got ${bad}`),
            `${v.name}=${bad}: ${JSON.stringify(p)}`,
          );
        }
      }
    });
  }

  it("the services' defaults are the contract's", () => {
    const gw = loadGatewayConfig({});
    assert.equal(gw.port, GATEWAY_ENV.port.default);
    assert.equal(gw.routerRequestTimeoutMs, GATEWAY_ENV.routerRequestTimeoutMs.default);
    assert.deepEqual(gw.nats.servers, NATS_ENV.url.default);
    const rt = loadRouterConfig({});
    assert.equal(rt.metricsPort, ROUTER_ENV.metricsPort.default);
    assert.equal(rt.faultsEnabled, ROUTER_ENV.faultsEnabled.default);
    assert.equal(rt.jetstreamReplicas, ROUTER_ENV.jetstreamReplicas.default);
  });

  it("the components' environment uses the contract's names and the gateway's default timeout", () => {
    const env = serviceEnv({ kind: "gateway", nats: { url: "nats://n:4222", user: "u" } });
    assert.ok(
      env.includes(
        `${GATEWAY_ENV.routerRequestTimeoutMs.name}=${GATEWAY_ENV.routerRequestTimeoutMs.default}`,
      ),
    );
    // What the components render, the services accept.
    const gw = loadGatewayConfig({
      ...Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
      NATS_PASSWORD: "p",
    });
    assert.equal(gw.nats.user, "u");
  });

  it("the stack config checks the gateway's settings with the gateway's ranges", () => {
    const t = GATEWAY_ENV.routerRequestTimeoutMs;
    const p = problems(() =>
      parseConfig({ "proving-ground:gatewayRequestTimeoutMs": String(t.max + 1) }, "t"),
    );
    assert.ok(
      p.includes(
        `proving-ground:gatewayRequestTimeoutMs must be between ${t.min} and ${t.max}, got ${t.max + 1}`,
      ),
      JSON.stringify(p),
    );
    assert.equal(parseConfig({}, "t").gateway.requestTimeoutMs, t.default);
  });

  it("parses tenant tokens once for the gateway and the stack config", () => {
    const parsed = parseTenantTokens(" a:x , b:y:z ", "T");
    assert.deepEqual(
      [...parsed.tokens],
      [
        ["a", "x"],
        ["b", "y:z"],
      ],
    );
    assert.equal(renderTenantTokens(Object.fromEntries(parsed.tokens)), "a:x,b:y:z");
    assert.deepEqual(parseTenantTokens("a:x,nocolon,a:y", "T").problems, [
      "T must be a comma-separated list of tenant:token pairs; entry 2 is not",
      'T lists tenant "a" twice',
    ]);
    // A tenant named like an Object.prototype member is a tenant like any other.
    assert.deepEqual(parseTenantTokens("constructor:x", "T").problems, []);
    assert.deepEqual(
      problems(() => loadGatewayConfig({ GATEWAY_TENANT_TOKENS: "a:x,nocolon" })),
      ["GATEWAY_TENANT_TOKENS must be a comma-separated list of tenant:token pairs; entry 2 is not"],
    );
  });
});
