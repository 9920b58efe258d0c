import assert from "node:assert/strict";
import { INTAKE_CODES } from "../../services/common/contract";
import {
  MIN_PAYLOAD_BYTES,
  traceIdFromTraceparent,
  validateIntake,
} from "../../services/router/src/validation";

const opts = { maxPayloadBytes: 4096 };
const bytes = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v));
const base = { version: "1", tenant_id: "tenant-a", request_id: "req-1", message: {} };
const codeOf = (data: Uint8Array, headers = {}, o: Parameters<typeof validateIntake>[2] = opts) => {
  const r = validateIntake(data, headers, o);
  return r.ok ? "ok" : r.error.code;
};

describe("router intake validation", () => {
  it("accepts the exact C-gateway payload without headers", () => {
    const r = validateIntake(
      bytes('{"version":"1","tenant_id":"tenant-a","request_id":"req-1","message":{}}'),
      {},
      opts,
    );
    assert.ok(r.ok);
    assert.equal(r.value.tenantId, "tenant-a");
    assert.equal(r.value.requestId, "req-1");
    assert.equal(r.value.traceId, undefined);
  });

  it("accepts the full gateway RouteRequest", () => {
    const full = {
      ...base,
      trace_id: "t-1",
      run_id: "r",
      task: { type: "text.generate", payload: { prompt: "hi" } },
      message: { message_id: "m", message_type: "x", payload: {}, metadata: {} },
      policy_id: "default",
      context: {},
    };
    assert.equal(codeOf(bytes(full)), "ok");
  });

  it("PAYLOAD_TOO_SMALL: empty or shorter than the smallest valid request", () => {
    assert.equal(MIN_PAYLOAD_BYTES, 48);
    assert.equal(codeOf(bytes("")), "PAYLOAD_TOO_SMALL");
    assert.equal(codeOf(bytes("{}")), "PAYLOAD_TOO_SMALL");
    assert.equal(codeOf(bytes('{"version":"1","tenant_id":"a","request_id":"b"}')), "ok");
  });

  it("SCHEMA_VALIDATION_FAILED: oversize, bad UTF-8, bad JSON, non-object, wrong types", () => {
    const pad = (extra: Record<string, unknown>) => bytes({ ...base, ...extra });
    assert.equal(codeOf(pad({ context: { big: "x".repeat(5000) } })), "SCHEMA_VALIDATION_FAILED");
    const badUtf8 = Buffer.concat([
      bytes({ ...base, trace_id: "tttttt" }).subarray(0, 20),
      Buffer.from([0xff, 0xfe]),
      Buffer.alloc(40, 0x20),
    ]);
    assert.equal(codeOf(badUtf8), "SCHEMA_VALIDATION_FAILED");
    assert.equal(
      codeOf(bytes("not json at all, but long enough to pass the minimum")),
      "SCHEMA_VALIDATION_FAILED",
    );
    assert.equal(codeOf(bytes(JSON.stringify([base, base]))), "SCHEMA_VALIDATION_FAILED");
    assert.equal(
      codeOf(bytes({ tenant_id: "tenant-a", request_id: "req-1", message: {} })),
      "SCHEMA_VALIDATION_FAILED",
    );
    assert.equal(codeOf(pad({ version: 1 })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ task: { type: 5, payload: {} } })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ task: { type: "t", payload: [] } })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ message: "x" })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ message: { message_id: 7 } })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ policy_id: "" })), "SCHEMA_VALIDATION_FAILED");
    assert.equal(codeOf(pad({ context: [] })), "SCHEMA_VALIDATION_FAILED");
    const r = validateIntake(pad({ task: { type: "t" } }), {}, opts);
    assert.ok(!r.ok);
    assert.deepEqual(r.error.details, { field: "task.payload" });
    assert.equal(r.error.context.request_id, "req-1", "correlation fields are kept for the reply context");
  });

  it("VERSION_UNSUPPORTED: a version string other than 1", () => {
    assert.equal(codeOf(bytes({ ...base, version: "2" })), "VERSION_UNSUPPORTED");
    assert.equal(INTAKE_CODES.VERSION_UNSUPPORTED, "invalid_request");
  });

  it("CORRELATION_FIELDS_INVALID: missing, empty, wrong type, too long or with whitespace", () => {
    for (const bad of [
      { tenant_id: undefined },
      { tenant_id: "" },
      { request_id: 12 },
      { request_id: "has space in it" },
      { request_id: "x".repeat(257) },
      { trace_id: "bad\ntrace" },
    ]) {
      assert.equal(codeOf(bytes({ ...base, ...bad })), "CORRELATION_FIELDS_INVALID", JSON.stringify(bad));
    }
    assert.equal(codeOf(bytes(base), { tenantId: "a b" }), "CORRELATION_FIELDS_INVALID");
    assert.equal(codeOf(bytes(base), { traceId: "x".repeat(129) }), "CORRELATION_FIELDS_INVALID");
  });

  it("TENANT_FORBIDDEN: tenant outside the allowlist; the header tenant wins over the body", () => {
    const o = { ...opts, tenantAllowed: (t: string) => t === "tenant-a" };
    assert.equal(codeOf(bytes(base), {}, o), "ok");
    assert.equal(codeOf(bytes({ ...base, tenant_id: "tenant-b" }), {}, o), "TENANT_FORBIDDEN");
    assert.equal(codeOf(bytes(base), { tenantId: "tenant-b" }, o), "TENANT_FORBIDDEN");
    assert.equal(INTAKE_CODES.TENANT_FORBIDDEN, "tenant_forbidden");
  });

  it("INTERNAL_VALIDATION_ERROR: the validator itself throwing", () => {
    const o = {
      ...opts,
      tenantAllowed: () => {
        throw new Error("allowlist exploded");
      },
    };
    const r = validateIntake(bytes(base), {}, o);
    assert.ok(!r.ok);
    assert.equal(r.error.code, "INTERNAL_VALIDATION_ERROR");
    assert.match(r.error.message, /allowlist exploded/);
    assert.equal(INTAKE_CODES.INTERNAL_VALIDATION_ERROR, "internal");
  });

  it("trace id: X-Trace-ID over traceparent over body", () => {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assert.equal(traceIdFromTraceparent(tp), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(traceIdFromTraceparent("garbage"), undefined);
    const body = bytes({ ...base, trace_id: "body-trace" });
    const get = (h: object) => {
      const r = validateIntake(body, h, opts);
      assert.ok(r.ok);
      return r.value.traceId;
    };
    assert.equal(get({}), "body-trace");
    assert.equal(get({ traceparent: tp }), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.equal(get({ traceparent: tp, traceId: "hdr" }), "hdr");
  });
});
