import assert from "node:assert/strict";
import { HttpError } from "../../services/gateway/src/errors";
import {
  buildRouteRequest,
  isJsonContentType,
  parseJsonBody,
  traceIdFromTraceparent,
} from "../../services/gateway/src/validate";

const body = () => ({ version: "1", tenant_id: "b", request_id: "r", task: { type: "t", payload: {} } });

function fails(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HttpError);
    assert.equal(e.status, 400);
    assert.equal(e.code, "invalid_request");
    assert.equal(e.details.field, field);
    return true;
  });
}

describe("gateway validation", function () {
  it("decodes strict UTF-8 JSON objects only", function () {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":"é"}')), { a: "é" });
    fails(() => parseJsonBody(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), "body");
    fails(() => parseJsonBody(Buffer.from("{")), "body");
    fails(() => parseJsonBody(Buffer.from("[1]")), "body");
    fails(() => parseJsonBody(Buffer.from("null")), "body");
  });

  it("accepts JSON content types with parameters and +json, nothing else", function () {
    assert.ok(isJsonContentType("application/json"));
    assert.ok(isJsonContentType("Application/JSON; charset=utf-8"));
    assert.ok(isJsonContentType("application/vnd.beamline+json"));
    assert.ok(!isJsonContentType(undefined));
    assert.ok(!isJsonContentType("text/plain"));
    assert.ok(!isJsonContentType("application/jsonx"));
  });

  it("extracts the trace id from a valid traceparent only", function () {
    assert.equal(
      traceIdFromTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
    assert.equal(
      traceIdFromTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
      undefined,
    );
    assert.equal(traceIdFromTraceparent("garbage"), undefined);
  });

  it("header tenant and trace win over the body; task and message fields are forwarded", function () {
    const rr = buildRouteRequest(
      { ...body(), trace_id: "bt", message_id: "m", payload: { p: 1 }, metadata: { a: "b" } },
      { tenantId: "h", traceId: "ht" },
    );
    assert.deepEqual(rr, {
      version: "1",
      tenant_id: "h",
      request_id: "r",
      trace_id: "ht",
      task: { type: "t", payload: {} },
      message: { message_id: "m", payload: { p: 1 }, metadata: { a: "b" } },
    });
    assert.equal(buildRouteRequest({ ...body(), trace_id: "bt" }, { tenantId: "h" }).trace_id, "bt");
  });

  it("accepts the C gateway's minimal body (no task)", function () {
    const rr = buildRouteRequest(
      { version: "1", tenant_id: "tenant-a", request_id: "req-1", message: {} },
      { tenantId: "tenant-a" },
    );
    assert.deepEqual(rr, { version: "1", tenant_id: "tenant-a", request_id: "req-1", message: {} });
  });

  it("rejects each bad field by name", function () {
    const h = { tenantId: "t" };
    fails(() => buildRouteRequest({ ...body(), version: 1 }, h), "version");
    fails(() => buildRouteRequest({ ...body(), request_id: "" }, h), "request_id");
    fails(() => buildRouteRequest({ ...body(), request_id: 5 }, h), "request_id");
    fails(() => buildRouteRequest({ ...body(), request_id: "x".repeat(257) }, h), "request_id");
    fails(() => buildRouteRequest({ ...body(), task: "x" }, h), "task");
    fails(() => buildRouteRequest({ ...body(), task: { type: 1, payload: {} } }, h), "task.type");
    fails(() => buildRouteRequest({ ...body(), task: { type: "t", payload: [] } }, h), "task.payload");
    fails(() => buildRouteRequest({ ...body(), context: [] }, h), "context");
    fails(() => buildRouteRequest({ ...body(), metadata: "m" }, h), "metadata");
    fails(() => buildRouteRequest({ ...body(), run_id: 3 }, h), "run_id");
    fails(() => buildRouteRequest({ ...body(), tenant_id: 3 }, h), "tenant_id");
  });
});
