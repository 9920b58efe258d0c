import assert from "node:assert/strict";
import { ConfigError } from "../../services/common/env";
import { loadGatewayConfig } from "../../services/gateway/src/app";

function problems(env: Record<string, string>): string[] {
  try {
    loadGatewayConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("gateway config", function () {
  it("has the documented defaults", function () {
    const c = loadGatewayConfig({});
    assert.equal(c.host, "0.0.0.0");
    assert.equal(c.port, 8080);
    assert.equal(c.routerRequestTimeoutMs, 5000);
    assert.equal(c.maxBodyBytes, 65536);
    assert.equal(c.rateLimitRps, 0);
    assert.equal(c.tenantTokens.size, 0);
    assert.deepEqual(c.nats.servers, ["nats://127.0.0.1:4222"]);
    assert.equal(c.nats.pingIntervalMs, 5000);
  });

  it("parses tokens, tenants and limits", function () {
    const c = loadGatewayConfig({
      GATEWAY_TENANT_TOKENS: "a:x, b:y:z",
      GATEWAY_METRICS_TENANTS: "a,b",
      GATEWAY_RATE_LIMIT_RPS: "2.5",
      GATEWAY_PORT: "0",
      NATS_USER: "u",
      NATS_PASSWORD: "p",
    });
    assert.equal(c.tenantTokens.get("a"), "x");
    assert.equal(c.tenantTokens.get("b"), "y:z");
    assert.deepEqual(c.metricsTenants, ["a", "b"]);
    assert.equal(c.rateLimitRps, 2.5);
    assert.equal(c.rateLimitBurst, 3);
    assert.equal(c.port, 0);
    assert.equal(c.nats.user, "u");
  });

  it("names every bad variable at once", function () {
    const p = problems({
      GATEWAY_PORT: "99999",
      ROUTER_REQUEST_TIMEOUT_MS: "soon",
      GATEWAY_MAX_BODY_BYTES: "-1",
      GATEWAY_TENANT_TOKENS: "nocolon",
      LOG_LEVEL: "loud",
      NATS_URL: "http://x",
      NATS_USER: "only-user",
    });
    for (const name of [
      "GATEWAY_PORT",
      "ROUTER_REQUEST_TIMEOUT_MS",
      "GATEWAY_MAX_BODY_BYTES",
      "GATEWAY_TENANT_TOKENS",
      "LOG_LEVEL",
      "NATS_URL",
      "NATS_USER",
    ]) {
      assert.ok(
        p.some((x) => x.includes(name)),
        `${name} not named in ${JSON.stringify(p)}`,
      );
    }
  });
});
