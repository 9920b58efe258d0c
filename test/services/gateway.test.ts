// Gateway integration: every row of the contract's error table, router error mapping and header/trace
// propagation, against a real nats-server and a stub router that replies what each test needs.
import assert from "node:assert/strict";
import { NatsConnection } from "nats";
import { CGROUP_CPU_METRICS } from "../../services/common/cgroup-cpu";
import { ROUTER_ERROR_STATUS, SUBJECTS } from "../../services/common/contract";
import type { RunningGateway } from "../../services/gateway/src/app";
import { NatsServer, startNats } from "../../tooling/local/nats-server";
import { waitFor } from "../../tooling/local/wait";
import {
  assertEnvelope,
  call,
  decide,
  natsClient,
  okDecision,
  gatewayReady,
  startTestGateway,
  stubRouter,
  validBody,
} from "./gateway-harness";

describe("gateway: contract endpoints and error table", function () {
  let nats: NatsServer;
  let nc: NatsConnection;
  let gw: RunningGateway;
  let reply: (req: Record<string, unknown>) => unknown = okDecision;
  let stub: ReturnType<typeof stubRouter>;

  before(async function () {
    nats = await startNats();
    nc = await natsClient(nats);
    stub = stubRouter(nc, (r) => reply(r));
    await nc.flush();
    gw = await startTestGateway(nats, { ROUTER_REQUEST_TIMEOUT_MS: "300", GATEWAY_MAX_BODY_BYTES: "4096" });
    // Ready = intake stream created: its JetStream API requests are nats.js requests that a test
    // counting pending requests would otherwise catch in flight.
    await gatewayReady(gw);
  });
  after(async function () {
    await gw?.stop();
    await nc?.close();
    await nats?.stop();
  });
  beforeEach(() => {
    reply = okDecision;
    stub.seen.length = 0;
  });

  it("answers 200 with the router's reply and forwards the full RouteRequest with headers", async function () {
    const body = validBody({
      tenant_id: "body-tenant",
      trace_id: "body-trace",
      run_id: "run-1",
      policy_id: "pol-1",
      context: { k: 1 },
      message_id: "m-1",
      message_type: "chat",
      payload: { x: 2 },
      metadata: { m: "v" },
    });
    const a = await decide(gw, body, {
      "X-Tenant-ID": "tenant-h",
      "X-Trace-ID": "trace-h",
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    assert.equal(a.status, 200);
    assert.equal(a.body.ok, true);
    assert.equal(a.body.decision.provider_id, "p1");
    assert.equal(stub.seen.length, 1);
    const s = stub.seen[0];
    assert.equal(s.subject, SUBJECTS.decide);
    assert.deepEqual(s.data, {
      version: "1",
      tenant_id: "tenant-h",
      request_id: "req-1",
      trace_id: "trace-h",
      run_id: "run-1",
      task: { type: "text.generate", payload: { prompt: "hi" } },
      message: { message_id: "m-1", message_type: "chat", payload: { x: 2 }, metadata: { m: "v" } },
      policy_id: "pol-1",
      context: { k: 1 },
    });
    assert.equal(s.headers["X-Tenant-ID"], "tenant-h");
    assert.equal(s.headers["X-Trace-ID"], "trace-h");
    assert.equal(s.headers["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  });

  it("takes the trace id from traceparent when X-Trace-ID is absent, and from the body otherwise", async function () {
    await decide(gw, validBody({ trace_id: "body-trace" }), {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    assert.equal(stub.seen[0].data.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    await decide(gw, validBody({ trace_id: "body-trace" }));
    assert.equal(stub.seen[1].data.trace_id, "body-trace");
    assert.equal(stub.seen[1].headers["X-Trace-ID"], "body-trace");
    assert.equal(stub.seen[1].headers["traceparent"], undefined);
  });

  it("400 invalid_request: missing tenant header, bad JSON, bad fields (with request context)", async function () {
    const noTenant = await call(`${gw.url}/api/v1/routes/decide`, { body: validBody() });
    assert.equal(assertEnvelope(noTenant, 400, "invalid_request").error.details.field, "X-Tenant-ID");
    const badJson = await call(`${gw.url}/api/v1/routes/decide`, {
      raw: '{"version":"1",',
      headers: { "x-tenant-id": "tenant-a", "content-type": "application/json" },
    });
    assert.equal(assertEnvelope(badJson, 400, "invalid_request").context.tenant_id, "tenant-a");
    const badField = await decide(gw, validBody({ task: { type: 7, payload: {} } }), { "x-trace-id": "t-9" });
    const e = assertEnvelope(badField, 400, "invalid_request");
    assert.equal(e.error.message, "task.type must be a string");
    assert.deepEqual(e.error.details, { field: "task.type" });
    assert.deepEqual(e.context, { request_id: "req-1", trace_id: "t-9", tenant_id: "tenant-a" });
    assertEnvelope(await decide(gw, validBody({ version: "2" })), 400, "invalid_request");
    assertEnvelope(await decide(gw, validBody({ request_id: "" })), 400, "invalid_request");
    assert.equal(stub.seen.length, 0, "invalid requests never reach the router");
  });

  it("413 payload_too_large over GATEWAY_MAX_BODY_BYTES, 415 for a non-JSON content type", async function () {
    const big = validBody({ payload: { blob: "x".repeat(5000) } });
    assertEnvelope(await decide(gw, big), 413, "payload_too_large");
    const text = await call(`${gw.url}/api/v1/routes/decide`, {
      raw: JSON.stringify(validBody()),
      headers: { "x-tenant-id": "tenant-a", "content-type": "text/plain" },
    });
    assertEnvelope(text, 415, "unsupported_media_type");
    // The gateway still works afterwards on fresh connections.
    assert.equal((await decide(gw)).status, 200);
  });

  it("404 not_found for unknown paths and 405 method_not_allowed (with Allow) for wrong methods", async function () {
    assertEnvelope(await call(`${gw.url}/api/v1/nope`), 404, "not_found");
    assertEnvelope(await call(`${gw.url}/api/v1/routes/decide/a/b`), 404, "not_found");
    const m = await call(`${gw.url}/api/v1/routes/decide`, { method: "GET" });
    assertEnvelope(m, 405, "method_not_allowed");
    assert.equal(m.headers.get("allow"), "POST");
    assertEnvelope(await call(`${gw.url}/api/v1/messages`, { method: "PUT" }), 405, "method_not_allowed");
    assertEnvelope(await call(`${gw.url}/health`, { method: "POST", body: {} }), 405, "method_not_allowed");
  });

  it("504 timeout when the router does not answer in time; the late reply is dropped", async function () {
    const late: Array<() => void> = [];
    reply = () => undefined;
    stub.sub.unsubscribe();
    stub = stubRouter(nc, (r, msg) => {
      late.push(() => msg.respond(JSON.stringify(okDecision(r))));
      return undefined;
    });
    await nc.flush();
    const t0 = Date.now();
    const a = await decide(gw);
    assertEnvelope(a, 504, "timeout");
    assert.ok(Date.now() - t0 >= 250, "waited for the timeout");
    late.forEach((f) => f());
    await nc.flush();
    const stats = gw.debugStats();
    assert.equal(stats.natsMuxPending, 0);
    assert.equal(stats.inflight, 0);
    stub.sub.unsubscribe();
    stub = stubRouter(nc, (r) => reply(r));
    await nc.flush();
  });

  it("502 bad_gateway for a non-JSON reply, a reply without ok, and an unknown router error code", async function () {
    reply = () => "<html>oops</html>";
    assertEnvelope(await decide(gw), 502, "bad_gateway");
    reply = () => ({ hello: 1 });
    assertEnvelope(await decide(gw), 502, "bad_gateway");
    reply = () => ({ ok: false, error: { code: "weird_code", message: "strange" }, context: {} });
    const e = assertEnvelope(await decide(gw), 502, "bad_gateway");
    assert.equal(e.error.details.router_code, "weird_code");
  });

  it("maps every router error code to its status, preserving the message and intake code", async function () {
    for (const [code, status] of Object.entries(ROUTER_ERROR_STATUS)) {
      reply = () => ({
        ok: false,
        error: { code, message: `msg for ${code}`, intake_error_code: "SCHEMA_VALIDATION_FAILED" },
        context: {},
      });
      const e = assertEnvelope(await decide(gw), status, code);
      assert.equal(e.error.message, `msg for ${code}`);
      assert.equal(e.error.intake_error_code, "SCHEMA_VALIDATION_FAILED");
    }
  });

  it("503 unavailable at once when no router listens", async function () {
    stub.sub.unsubscribe();
    await nc.flush();
    // 503 rather than the 504 of the 300 ms timeout is the proof it answered at once; a wall-clock bound
    // would only add scheduler noise.
    const a = await decide(gw);
    assertEnvelope(a, 503, "unavailable");
    assert.ok(a.headers.get("retry-after"));
    stub = stubRouter(nc, (r) => reply(r));
    await nc.flush();
  });

  it("503 service_overloaded with Retry-After while the router signals backpressure", async function () {
    const pub = (status: string) =>
      nc.publish(
        SUBJECTS.backpressure,
        JSON.stringify({ status, pending: 10, inflight: 5, latency_p95_ms: 900, retry_after_s: 7 }),
      );
    pub("active");
    const a = await waitFor("backpressure honoured", async () => {
      const r = await decide(gw);
      return r.status === 503 ? r : undefined;
    });
    assertEnvelope(a, 503, "service_overloaded");
    assert.equal(a.headers.get("retry-after"), "7");
    const m = await call(`${gw.url}/metrics`);
    assert.match(m.body, /gateway_backpressure_active 1/);
    pub("ok");
    await waitFor("traffic resumes", async () => (await decide(gw)).status === 200);
  });

  it("GET /health, /ready, /metrics and /_metrics", async function () {
    const h = await call(`${gw.url}/health`);
    assert.equal(h.status, 200);
    assert.equal(h.body.status, "healthy");
    assert.ok(!Number.isNaN(Date.parse(h.body.timestamp)));
    const r = await call(`${gw.url}/ready`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.checks.nats, true);
    assert.equal(r.body.checks.jetstream, true);
    await call(`${gw.url}/api/v1/routes/decide/some-id`);
    const m = await call(`${gw.url}/metrics`);
    assert.equal(m.status, 200);
    for (const name of [
      "gateway_http_requests_total",
      "gateway_http_request_duration_seconds_bucket",
      "gateway_nats_requests_total",
      "gateway_nats_connection_status 1",
      "gateway_nats_reconnects_total",
      "gateway_inflight_requests",
      "gateway_rate_limit_rejections_total",
      "gateway_backpressure_active",
      "process_cpu_user_seconds_total",
    ]) {
      assert.ok(m.body.includes(name), `metrics lack ${name}`);
    }
    for (const le of ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5"]) {
      assert.ok(m.body.includes(`le="${le}"`), `bucket ${le} missing`);
    }
    assert.ok(m.body.includes('route="/api/v1/routes/decide/{message_id}"'), "route template label");
    assert.ok(!m.body.includes("/api/v1/nope"), "raw paths never become labels");
    // This host has cgroup v1 (/sys/fs/cgroup/cpu): the gateway exports its own cgroup's throttling.
    for (const name of Object.values(CGROUP_CPU_METRICS))
      assert.match(m.body, new RegExp(`^${name} [0-9.e+-]+$`, "m"), name);
    const j = await call(`${gw.url}/_metrics`);
    assert.equal(j.status, 200);
    assert.equal(typeof j.body.rps, "number");
    assert.equal(typeof j.body.latency_ms.p99, "number");
    assert.equal(typeof j.body.error_rate, "number");
    assert.equal(j.body.nats.connected, true);
  });
});

describe("gateway: auth, rate limits and the in-flight bound", function () {
  let nats: NatsServer;
  let nc: NatsConnection;
  let gw: RunningGateway;
  const held: Array<() => void> = [];

  before(async function () {
    nats = await startNats();
    nc = await natsClient(nats);
    stubRouter(nc, (r, msg) => {
      if (r.request_id === "hold") {
        held.push(() => msg.respond(JSON.stringify(okDecision(r))));
        return undefined;
      }
      return okDecision(r);
    });
    await nc.flush();
    gw = await startTestGateway(nats, {
      GATEWAY_TENANT_TOKENS: "tenant-a:secret-a,tenant-b:secret-b,tenant-c:secret-c,tenant-d:secret-d",
      GATEWAY_RATE_LIMIT_RPS: "2",
      GATEWAY_RATE_LIMIT_BURST: "3",
      GATEWAY_MAX_INFLIGHT: "2",
      GATEWAY_METRICS_TENANTS: "tenant-a",
      ROUTER_REQUEST_TIMEOUT_MS: "5000",
    });
  });
  after(async function () {
    held.forEach((f) => f());
    await gw?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it("401 unauthorized without a bearer token, with a wrong one, or with another tenant's", async function () {
    assertEnvelope(await decide(gw), 401, "unauthorized");
    assertEnvelope(await decide(gw, validBody(), { authorization: "Bearer nope" }), 401, "unauthorized");
    assertEnvelope(await decide(gw, validBody(), { authorization: "Bearer secret-b" }), 401, "unauthorized");
    assert.equal((await decide(gw, validBody(), { authorization: "Bearer secret-a" })).status, 200);
  });

  it("429 rate_limit_exceeded per tenant with Retry-After and X-RateLimit-* headers", async function () {
    const b = { authorization: "Bearer secret-b", "x-tenant-id": "tenant-b" };
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await decide(gw, validBody(), b));
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(limited.length >= 1, `statuses ${answers.map((a) => a.status)}`);
    const a = limited[0];
    assertEnvelope(a, 429, "rate_limit_exceeded");
    assert.ok(Number(a.headers.get("retry-after")) >= 1);
    assert.equal(a.headers.get("x-ratelimit-limit"), "3");
    assert.equal(a.headers.get("x-ratelimit-remaining"), "0");
    assert.ok(Number(a.headers.get("x-ratelimit-reset")) >= 1);
    // tenant-a has its own window: not affected by tenant-b's exhaustion.
    const other = await decide(gw, validBody(), { authorization: "Bearer secret-a" });
    assert.notEqual(other.status, 429);
    const m = await call(`${gw.url}/metrics`);
    assert.match(m.body, /gateway_rate_limit_rejections_total\{tenant="other"\} [1-9]/);
    assert.ok(!m.body.includes('tenant="tenant-b"'), "non-allowlisted tenants are not labels");
  });

  it("503 service_overloaded with Retry-After once GATEWAY_MAX_INFLIGHT requests are in flight", async function () {
    // Fresh tenants, so earlier tests' rate-limit windows play no part.
    const c = { authorization: "Bearer secret-c", "x-tenant-id": "tenant-c" };
    const auth = { authorization: "Bearer secret-d", "x-tenant-id": "tenant-d" };
    const hold = [
      decide(gw, validBody({ request_id: "hold" }), c),
      decide(gw, validBody({ request_id: "hold" }), c),
    ];
    await waitFor("two held requests at the router", () => held.length === 2);
    const a = await decide(gw, validBody(), auth);
    assertEnvelope(a, 503, "service_overloaded");
    assert.equal(a.headers.get("retry-after"), "1");
    held.splice(0).forEach((f) => f());
    assert.deepEqual(
      (await Promise.all(hold)).map((x) => x.status),
      [200, 200],
    );
  });
});
