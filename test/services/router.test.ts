// The router over NATS against a real nats-server: the C-gateway payload, headers and traces, every
// intake code, idempotency, the durable path with get_decision, backpressure, the services API,
// fault injection and the HTTP side.
import assert from "node:assert/strict";
import { headers as natsHeaders, type NatsConnection } from "nats";
import { CGROUP_CPU_METRICS } from "../../services/common/cgroup-cpu";
import { DECISIONS_BUCKET, SUBJECTS, intakeSubject } from "../../services/common/contract";
import type { RouterHandle } from "../../services/router/src/app";
import { decisionKey } from "../../services/router/src/durable";
import { startNats, type NatsServer } from "../../tooling/local/nats-server";
import { waitFor } from "../../tooling/local/wait";
import { ask, C_GATEWAY_PAYLOAD, client, routeRequest, startTestRouter } from "./router-harness";

describe("router service over NATS", function () {
  this.timeout(30000);
  let nats: NatsServer;
  let router: RouterHandle;
  let nc: NatsConnection;
  const metrics = async () => (await fetch(`http://127.0.0.1:${router.metricsPort}/metrics`)).text();
  const setFaults = (spec: unknown) => ask(nc, SUBJECTS.faults, spec);

  before(async () => {
    nats = await startNats();
    router = await startTestRouter(nats, {
      ROUTER_FAULTS_ENABLED: "true",
      ROUTER_ALLOWED_TENANTS: "tenant-a,tenant-b,tenant-x",
      ROUTER_BREAKER_FAILURE_THRESHOLD: "2",
      ROUTER_BREAKER_OPEN_MS: "60000",
      ROUTER_BACKPRESSURE_INTERVAL_MS: "200",
    });
    nc = await client(nats);
  });
  after(async () => {
    await nc?.close();
    await router?.stop();
    await nats?.stop();
  });
  afterEach(async () => {
    await setFaults({ clear: true });
  });

  it("accepts the exact C-gateway payload with no headers", async () => {
    const r = await ask(nc, SUBJECTS.decide, C_GATEWAY_PAYLOAD);
    assert.equal(r.ok, true);
    assert.ok(["p1", "p2"].includes(r.decision.provider_id));
    assert.equal(r.decision.reason, "weighted");
    assert.equal(typeof r.decision.expected_latency_ms, "number");
    assert.equal(typeof r.decision.expected_cost, "number");
    assert.deepEqual(r.context, { request_id: "req-1", tenant_id: "tenant-a" });
  });

  it("reads X-Tenant-ID, X-Trace-ID and traceparent into the reply context", async () => {
    const r = await ask(nc, SUBJECTS.decide, routeRequest({ trace_id: "body" }), {
      "X-Tenant-ID": "tenant-b",
      "X-Trace-ID": "trace-123",
    });
    assert.equal(r.context.trace_id, "trace-123");
    assert.equal(r.context.tenant_id, "tenant-b");
    const tp = await ask(nc, SUBJECTS.decide, routeRequest(), {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    });
    assert.equal(tp.context.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    // Header names are case-insensitive.
    const lower = await ask(nc, SUBJECTS.decide, routeRequest(), { "x-trace-id": "lower-case" });
    assert.equal(lower.context.trace_id, "lower-case");
  });

  it("answers every intake code with the contract envelope", async () => {
    const cases: [string, unknown, Record<string, string>, string, string][] = [
      ["PAYLOAD_TOO_SMALL", "{}", {}, "invalid_request", "PAYLOAD_TOO_SMALL"],
      [
        "bad JSON",
        "{this is not json but it is long enough to pass the size check}",
        {},
        "invalid_request",
        "SCHEMA_VALIDATION_FAILED",
      ],
      [
        "bad type",
        routeRequest({ task: { type: 1, payload: {} } }),
        {},
        "invalid_request",
        "SCHEMA_VALIDATION_FAILED",
      ],
      ["version", routeRequest({ version: "9" }), {}, "invalid_request", "VERSION_UNSUPPORTED"],
      ["correlation", routeRequest({ request_id: "" }), {}, "invalid_request", "CORRELATION_FIELDS_INVALID"],
      ["tenant", routeRequest({ tenant_id: "tenant-evil" }), {}, "tenant_forbidden", "TENANT_FORBIDDEN"],
      [
        "header tenant",
        routeRequest(),
        { "X-Tenant-ID": "tenant-evil" },
        "tenant_forbidden",
        "TENANT_FORBIDDEN",
      ],
    ];
    for (const [name, body, hdrs, code, intake] of cases) {
      const r = await ask(nc, SUBJECTS.decide, body, hdrs);
      assert.equal(r.ok, false, name);
      assert.equal(r.error.code, code, name);
      assert.equal(r.error.intake_error_code, intake, name);
      assert.equal(typeof r.error.message, "string", name);
      assert.equal(typeof r.error.details, "object", name);
      assert.equal(typeof r.context, "object", name);
    }
    // INTERNAL_VALIDATION_ERROR cannot be provoked by input (it means a validator bug; see the unit
    // test); the fault API produces it so gateway mapping tests can see its envelope.
    await setFaults({
      error_code: "internal",
      intake_error_code: "INTERNAL_VALIDATION_ERROR",
      error_message: "boom",
    });
    const r = await ask(nc, SUBJECTS.decide, routeRequest());
    assert.deepEqual(
      [r.error.code, r.error.intake_error_code, r.error.message],
      ["internal", "INTERNAL_VALIDATION_ERROR", "boom"],
    );
    const m = await metrics();
    assert.match(m, /router_intake_errors_total\{code="PAYLOAD_TOO_SMALL"\} [1-9]/);
    assert.match(m, /router_intake_errors_total\{code="TENANT_FORBIDDEN"\} [1-9]/);
  });

  it("returns the first decision for a repeat and IDEMPOTENCY_VIOLATION for different content", async () => {
    const req = routeRequest({ task: { type: "text.generate", payload: { prompt: "hi" } } });
    const first = await ask(nc, SUBJECTS.decide, req);
    for (let i = 0; i < 20; i++) {
      const again = await ask(nc, SUBJECTS.decide, { ...req, trace_id: `retry-${i}` });
      assert.deepEqual(again.decision, first.decision);
    }
    const v = await ask(nc, SUBJECTS.decide, {
      ...req,
      task: { type: "text.generate", payload: { prompt: "bye" } },
    });
    assert.equal(v.error.code, "invalid_request");
    assert.equal(v.error.intake_error_code, "IDEMPOTENCY_VIOLATION");
    assert.equal(v.context.request_id, req.request_id);
  });

  it("answers policy_not_found for an unknown policy_id", async () => {
    const r = await ask(nc, SUBJECTS.decide, routeRequest({ policy_id: "missing" }));
    assert.equal(r.error.code, "policy_not_found");
  });

  it("durable path: stream → decision in KV → get_decision decided / pending / not_found", async () => {
    const js = nc.jetstream();
    const id = "msg/ü ok.*>"; // ids with subject-unsafe characters still work
    const h = natsHeaders();
    h.set("Nats-Msg-Id", id);
    h.set("X-Trace-ID", "durable-trace");
    const body = JSON.stringify(routeRequest({ message: { message_id: id } }));
    const ack = await js.publish(intakeSubject(id), Buffer.from(body), { headers: h });
    assert.equal(ack.duplicate, false);
    const decided = await waitFor("durable decision", async () => {
      const r = await ask(nc, SUBJECTS.getDecision, { message_id: id });
      return r.ok && r.decision ? r : undefined;
    });
    assert.ok(["p1", "p2"].includes(decided.decision.provider_id));
    assert.equal(decided.context.trace_id, "durable-trace");
    // A repeat inside the duplicate window is not decided twice.
    const dup = await js.publish(intakeSubject(id), Buffer.from(body), { headers: h });
    assert.equal(dup.duplicate, true);
    // Accepted but without a stored decision = pending.
    const kv = await js.views.kv(DECISIONS_BUCKET);
    await kv.delete(decisionKey(id));
    assert.deepEqual(await ask(nc, SUBJECTS.getDecision, { message_id: id }), {
      ok: true,
      status: "pending",
    });
    const nf = await ask(nc, SUBJECTS.getDecision, { message_id: "never-seen" });
    assert.equal(nf.ok, false);
    assert.equal(nf.error.code, "not_found");
    const bad = await ask(nc, SUBJECTS.getDecision, { id: 1 });
    assert.equal(bad.error.code, "invalid_request");
  });

  it("durable path stores intake errors as the message's decision", async () => {
    const js = nc.jetstream();
    const h = natsHeaders();
    h.set("Nats-Msg-Id", "bad-version-msg");
    await js.publish(
      intakeSubject("bad-version-msg"),
      Buffer.from(JSON.stringify(routeRequest({ version: "7" }))),
      {
        headers: h,
      },
    );
    const r = await waitFor("stored error", async () => {
      const x = await ask(nc, SUBJECTS.getDecision, { message_id: "bad-version-msg" });
      return x.ok === false && x.error.code !== "not_found" && x.status !== "pending" ? x : undefined;
    });
    assert.equal(r.error.intake_error_code, "VERSION_UNSUPPORTED");
  });

  it("publishes backpressure status and answers requests on the subject", async () => {
    const sub = nc.subscribe(SUBJECTS.backpressure, { max: 1 });
    const published = await (async () => {
      for await (const m of sub) return JSON.parse(Buffer.from(m.data).toString());
    })();
    assert.deepEqual(Object.keys(published).sort(), [
      "inflight",
      "latency_p95_ms",
      "pending",
      "retry_after_s",
      "status",
    ]);
    const ok = await ask(nc, SUBJECTS.backpressure, "");
    assert.equal(ok.status, "ok");
    assert.equal(ok.retry_after_s, 0);
    await setFaults({ backpressure: "active" });
    const active = await ask(nc, SUBJECTS.backpressure, "");
    assert.equal(active.status, "active");
    assert.ok(active.retry_after_s >= 1);
    await waitFor("router_backpressure_active 1", async () =>
      /router_backpressure_active 1/.test(await metrics()),
    );
  });

  it("is a NATS service: $SRV.PING and $SRV.INFO list the endpoints in queue group router", async () => {
    const ping = await ask(nc, "$SRV.PING.beamline-router", "");
    assert.equal(ping.name, "beamline-router");
    const info = await ask(nc, "$SRV.INFO.beamline-router", "");
    const eps = Object.fromEntries(info.endpoints.map((e: any) => [e.name, e]));
    assert.equal(eps.decide.subject, SUBJECTS.decide);
    assert.equal(eps.decide.queue_group, "router");
    assert.equal(eps.get_decision.subject, SUBJECTS.getDecision);
    const stats = await ask(nc, "$SRV.STATS.beamline-router", "");
    assert.ok(stats.endpoints.find((e: any) => e.name === "decide").num_requests > 0);
  });

  it("fault injection: delay, error code, raw reply, drop, tenant scope", async () => {
    const applied = await setFaults({ delay_ms: 300 });
    assert.equal(applied.ok, true);
    assert.equal(applied.faults[0].delay_ms, 300);
    const t0 = Date.now();
    const slow = await ask(nc, SUBJECTS.decide, routeRequest());
    assert.ok(Date.now() - t0 >= 290, "reply was delayed");
    assert.equal(slow.ok, true);

    await setFaults({
      tenant_id: "tenant-b",
      error_code: "extension_timeout",
      error_message: "provider slow",
      delay_ms: 0,
    });
    const err = await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-b" }));
    assert.deepEqual([err.error.code, err.error.message], ["extension_timeout", "provider slow"]);
    // Other tenants keep the global spec only (the delay).
    const other = await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-a" }));
    assert.equal(other.ok, true);

    await setFaults({ clear: true });
    await setFaults({ raw_reply: "not json" });
    const raw = await nc.request(SUBJECTS.decide, Buffer.from(JSON.stringify(routeRequest())), {
      timeout: 2000,
    });
    assert.equal(Buffer.from(raw.data).toString(), "not json");

    await setFaults({ drop_rate: 1, raw_reply: undefined });
    await assert.rejects(
      nc.request(SUBJECTS.decide, Buffer.from(JSON.stringify(routeRequest())), { timeout: 500 }),
      /TIMEOUT/,
    );

    const bad = await setFaults({ delay_ms: "soon" });
    assert.equal(bad.ok, false);
    assert.match(bad.error.message, /delay_ms/);
  });

  it("fault injection: hold keeps replies until the next fault command, delay_ms caps it", async () => {
    await setFaults({ hold: true });
    let answered = 0;
    const held = Array.from({ length: 5 }, (_, i) =>
      ask(nc, SUBJECTS.decide, routeRequest({ request_id: `held-${i}` }), {}, 10000).then((r) => {
        answered++;
        return r;
      }),
    );
    await waitFor(
      "5 decides held at the router",
      async () => (await ask(nc, SUBJECTS.backpressure, "")).inflight === 5,
    );
    assert.equal(answered, 0, "nothing answered while held");
    await setFaults({ clear: true });
    for (const r of await Promise.all(held)) assert.equal(r.ok, true);

    await setFaults({ hold: true, delay_ms: 200 });
    const t0 = Date.now();
    assert.equal((await ask(nc, SUBJECTS.decide, routeRequest({ request_id: "capped" }), {}, 5000)).ok, true);
    assert.ok(Date.now() - t0 >= 190, "released by the delay_ms cap");
    const bad = await setFaults({ hold: "yes" });
    assert.match(bad.error.message, /hold must be a boolean/);
  });

  it("fail_providers drives fallback, breakers and decision_failed", async () => {
    await setFaults({ tenant_id: "tenant-x", fail_providers: ["p1", "p2"] });
    const r = await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-x" }));
    assert.equal(r.decision.provider_id, "p3");
    assert.match(r.decision.reason, /^fallback: /);
    // threshold 2: the second failure opens the breaker of the primary pick.
    await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-x" }));
    await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-x" }));
    await waitFor("both breakers open", async () => {
      const m = await metrics();
      return (
        /router_circuit_breaker_open\{provider="p1"\} 1/.test(m) &&
        /router_circuit_breaker_open\{provider="p2"\} 1/.test(m)
      );
    });
    const open = await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-a" }));
    assert.equal(open.decision.provider_id, "p3");
    assert.match(open.decision.reason, /circuit open/);
    await setFaults({ fail_providers: ["p3"] });
    const failed = await ask(nc, SUBJECTS.decide, routeRequest({ tenant_id: "tenant-a" }));
    assert.equal(failed.error.code, "decision_failed");
    assert.match(failed.error.message, /p3 failed/);
  });

  it("serves /health, /ready and /metrics with the contract metric names", async () => {
    const health = await fetch(`http://127.0.0.1:${router.metricsPort}/health`);
    assert.equal(health.status, 200);
    const hb = (await health.json()) as { status: string; timestamp: string };
    assert.equal(hb.status, "healthy");
    assert.ok(!Number.isNaN(Date.parse(hb.timestamp)));
    const ready = await fetch(`http://127.0.0.1:${router.metricsPort}/ready`);
    assert.equal(ready.status, 200);
    const m = await metrics();
    for (const name of [
      "router_decisions_total",
      "router_decision_duration_seconds_bucket",
      "router_intake_errors_total",
      "router_jetstream_pending",
      "router_backpressure_active",
      "router_nats_connection_status 1",
      "router_circuit_breaker_open",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      assert.ok(m.includes(name), `missing ${name}`);
    }
    for (const le of ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5"]) {
      assert.ok(m.includes(`router_decision_duration_seconds_bucket{le="${le}"}`), `bucket ${le}`);
    }
    assert.match(m, /router_decisions_total\{outcome="success",provider="p[12]"\} [1-9]/);
    // This host has cgroup v1 (/sys/fs/cgroup/cpu): the router exports its own cgroup's throttling.
    for (const name of Object.values(CGROUP_CPU_METRICS))
      assert.match(m, new RegExp(`^${name} [0-9.e+-]+$`, "m"), name);
    assert.equal((await fetch(`http://127.0.0.1:${router.metricsPort}/nope`)).status, 404);
  });
});

describe("router load bounds", function () {
  this.timeout(30000);
  let nats: NatsServer;
  let router: RouterHandle;
  let nc: NatsConnection;
  before(async () => {
    nats = await startNats();
    // 4 in flight at most; the in-flight active threshold defaults to 90% of that (3).
    router = await startTestRouter(nats, { ROUTER_FAULTS_ENABLED: "true", ROUTER_MAX_INFLIGHT: "4" });
    nc = await client(nats);
  });
  after(async () => {
    await nc?.close();
    await router?.stop();
    await nats?.stop();
  });

  it("signals backpressure from in-flight load and rejects beyond ROUTER_MAX_INFLIGHT", async () => {
    await ask(nc, SUBJECTS.faults, { delay_ms: 1500 });
    const slow = Array.from({ length: 4 }, () => ask(nc, SUBJECTS.decide, routeRequest(), {}, 5000));
    // "active" starts at 3 in flight (90 % of 4): wait until all 4 slow requests are held, or the request
    // below could arrive while the 4th is still on its way and be accepted.
    const bp = await waitFor("backpressure active with the 4 slow requests in flight", async () => {
      const s = await ask(nc, SUBJECTS.backpressure, "");
      return s.status === "active" && s.inflight === 4 ? s : undefined;
    });
    assert.equal(bp.inflight, 4);
    assert.ok(bp.retry_after_s >= 1);
    const rejected = await ask(nc, SUBJECTS.decide, routeRequest());
    assert.equal(rejected.ok, false);
    assert.equal(rejected.error.code, "extension_unavailable");
    assert.match(rejected.error.message, /4 requests in flight/);
    for (const r of await Promise.all(slow)) assert.equal(r.ok, true);
    const after = await ask(nc, SUBJECTS.backpressure, "");
    assert.equal(after.inflight, 0);
  });
});
