import assert from "node:assert/strict";
import { ROUTER_ERROR_STATUS } from "../../services/common/contract";
import { envelope, gatewayError, mapRouterReply } from "../../services/gateway/src/errors";

describe("gateway error mapping", function () {
  it("passes ok:true replies through as 200", function () {
    const m = mapRouterReply('{"ok":true,"decision":{"provider_id":"p"}}');
    assert.equal(m.kind, "ok");
    assert.equal(m.kind === "ok" && m.status, 200);
  });

  it("maps every router code to its contract status with message and intake code preserved", function () {
    for (const [code, status] of Object.entries(ROUTER_ERROR_STATUS)) {
      const m = mapRouterReply(
        JSON.stringify({
          ok: false,
          error: { code, message: "why", intake_error_code: "VERSION_UNSUPPORTED" },
        }),
      );
      assert.equal(m.kind, "error");
      if (m.kind !== "error") continue;
      assert.equal(m.error.status, status, code);
      assert.equal(m.error.code, code);
      assert.equal(m.error.message, "why");
      assert.equal(m.error.intakeErrorCode, "VERSION_UNSUPPORTED");
    }
  });

  it("non-JSON, non-object, shapeless replies and unknown codes are 502 bad_gateway", function () {
    for (const raw of [
      "not json",
      "[1]",
      "42",
      '{"x":1}',
      '{"ok":false,"error":{"code":"zzz","message":"m"}}',
      '{"ok":false,"error":{"code":"toString"}}',
    ]) {
      const m = mapRouterReply(raw);
      assert.equal(m.kind, "error", raw);
      if (m.kind === "error") {
        assert.equal(m.error.status, 502, raw);
        assert.equal(m.error.code, "bad_gateway", raw);
      }
    }
  });

  it("builds the exact envelope", function () {
    const e = envelope(
      gatewayError("invalid_request", "task.type must be a string", { field: "task.type" }),
      {
        request_id: "req-1",
        tenant_id: "tenant-a",
      },
    );
    assert.deepEqual(e, {
      ok: false,
      error: {
        code: "invalid_request",
        message: "task.type must be a string",
        intake_error_code: null,
        details: { field: "task.type" },
      },
      context: { request_id: "req-1", trace_id: null, tenant_id: "tenant-a" },
    });
  });
});
