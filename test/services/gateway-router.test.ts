// Gateway in front of the real router (in-process, same NATS): decisions, the C gateway's payload, the
// durable path end to end, router faults turned into the contract's statuses, and GET status mapping.
import assert from "node:assert/strict";
import { DiscardPolicy, NatsConnection } from "nats";
import { FaultSpec, INTAKE_STREAM, SUBJECTS } from "../../services/common/contract";
import { createLogger } from "../../services/common/log";
import type { RunningGateway } from "../../services/gateway/src/app";
import { loadRouterConfig, startRouter } from "../../services/router/src/app";
import { NatsServer, startNats } from "../../tooling/local/nats-server";
import { waitFor } from "../../tooling/local/wait";
import {
  assertEnvelope,
  call,
  decide,
  natsClient,
  gatewayReady,
  startTestGateway,
  stubRouter,
  validBody,
} from "./gateway-harness";

describe("gateway → real router", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let nc: NatsConnection;
  let gw: RunningGateway;
  let router: { stop(): Promise<void> };

  async function fault(spec: FaultSpec): Promise<void> {
    const r = await nc.request(SUBJECTS.faults, JSON.stringify(spec), { timeout: 2000 });
    assert.ok(r.string().length > 0);
  }

  before(async function () {
    nats = await startNats();
    nc = await natsClient(nats);
    router = await startRouter(
      loadRouterConfig({
        NATS_URL: nats.url,
        ROUTER_METRICS_HOST: "127.0.0.1",
        ROUTER_METRICS_PORT: "0",
        ROUTER_FAULTS_ENABLED: "true",
        LOG_LEVEL: "error",
      }),
      createLogger("router-test", "error"),
    );
    gw = await startTestGateway(nats, { ROUTER_REQUEST_TIMEOUT_MS: "500" });
    await gatewayReady(gw);
  });
  after(async function () {
    await gw?.stop();
    await router?.stop();
    await nc?.close();
    await nats?.stop();
  });
  afterEach(async () => fault({ clear: true }));

  it("decides through the router and returns the trace id it was given", async function () {
    const a = await decide(gw, validBody({ request_id: "rr-1" }), { "x-trace-id": "trace-rr-1" });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.ok, true);
    assert.ok(["p1", "p2"].includes(a.body.decision.provider_id));
    assert.equal(a.body.context.request_id, "rr-1");
    assert.equal(a.body.context.trace_id, "trace-rr-1");
  });

  it("accepts the original C gateway's payload", async function () {
    const a = await decide(gw, { version: "1", tenant_id: "tenant-a", request_id: "req-c", message: {} });
    assert.equal(a.status, 200, JSON.stringify(a.body));
  });

  it("turns router faults into the contract's statuses", async function () {
    await fault({ raw_reply: "not json at all" });
    assertEnvelope(await decide(gw, validBody({ request_id: "f1" })), 502, "bad_gateway");
    await fault({ clear: true });
    await fault({ error_code: "policy_not_found", error_message: "no policy x" });
    const e = assertEnvelope(await decide(gw, validBody({ request_id: "f2" })), 404, "policy_not_found");
    assert.equal(e.error.message, "no policy x");
    await fault({ clear: true });
    await fault({ delay_ms: 1500 });
    assertEnvelope(await decide(gw, validBody({ request_id: "f3" })), 504, "timeout");
    await fault({ clear: true });
    await fault({ backpressure: "active" });
    const bp = await waitFor("backpressure reaches the gateway", async () => {
      const r = await decide(gw, validBody({ request_id: `f4-${Date.now()}` }));
      return r.status === 503 ? r : undefined;
    });
    assertEnvelope(bp, 503, "service_overloaded");
    assert.ok(Number(bp.headers.get("retry-after")) >= 1);
    await fault({ clear: true });
    await waitFor(
      "traffic resumes",
      async () => (await decide(gw, validBody({ request_id: `f5-${Date.now()}` }))).status === 200,
    );
  });

  it("durable intake: 202 with stream_seq, idempotent repeats, decision retrievable by GET", async function () {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      call(`${gw.url}/api/v1/messages`, { body, headers: { "x-tenant-id": "tenant-a", ...headers } });
    const first = await post(validBody({ request_id: "d-1", message_id: "msg-d-1" }));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.deepEqual(Object.keys(first.body).sort(), ["duplicate", "message_id", "ok", "stream_seq"]);
    assert.equal(first.body.message_id, "msg-d-1");
    assert.equal(first.body.duplicate, false);
    const again = await post(validBody({ request_id: "d-1", message_id: "msg-d-1" }));
    assert.equal(again.status, 202);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.stream_seq, first.body.stream_seq);
    // Accepted: right away the answer is pending (202) or already decided (200), never unknown.
    const early = await call(`${gw.url}/api/v1/routes/decide/msg-d-1`);
    assert.ok([200, 202].includes(early.status), JSON.stringify(early.body));
    const decided = await waitFor("decision stored", async () => {
      const g = await call(`${gw.url}/api/v1/routes/decide/msg-d-1`);
      return g.status === 200 ? g : undefined;
    });
    assert.equal(decided.body.ok, true);
    assert.ok(decided.body.decision.provider_id);
    // Id falls back to X-Idempotency-Key, then request_id.
    const byKey = await post(validBody({ request_id: "d-2" }), { "x-idempotency-key": "key-d-2" });
    assert.equal(byKey.body.message_id, "key-d-2");
    const byKeyAgain = await post(validBody({ request_id: "d-2b" }), { "x-idempotency-key": "key-d-2" });
    assert.equal(byKeyAgain.body.duplicate, true);
    assert.equal(byKeyAgain.body.stream_seq, byKey.body.stream_seq);
    const byReq = await post(validBody({ request_id: "d-3" }));
    assert.equal(byReq.body.message_id, "d-3");
    assertEnvelope(await call(`${gw.url}/api/v1/routes/decide/never-sent`), 404, "not_found");
  });

  it("GET maps a pending router answer to 202", async function () {
    // Catching the real router between accept and decide is a race, so a stub joins the router's queue
    // group on get_decision and answers "pending"; requests the real router takes answer 404 and are
    // retried until the stub's answer arrives.
    const own = await natsClient(nats);
    const stub = stubRouter(
      own,
      (r) => (r.message_id === "pending-id" ? { ok: true, status: "pending" } : undefined),
      SUBJECTS.getDecision,
    );
    await own.flush();
    const a = await waitFor("stub answers", async () => {
      const g = await call(`${gw.url}/api/v1/routes/decide/pending-id`);
      return g.status === 202 ? g : undefined;
    });
    assert.deepEqual(a.body, { ok: true, status: "pending" });
    stub.sub.unsubscribe();
    await own.close();
  });
});

describe("gateway: JetStream refuses the message", function () {
  let nats: NatsServer;
  let gw: RunningGateway;
  before(async function () {
    nats = await startNats();
    gw = await startTestGateway(nats, { GATEWAY_JETSTREAM_TIMEOUT_MS: "1000" });
    await gatewayReady(gw);
  });
  after(async function () {
    await gw?.stop();
    await nats?.stop();
  });
  it("answers 503 unavailable when JetStream cannot acknowledge (stream full, discard new)", async function () {
    const nc = await natsClient(nats);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(INTAKE_STREAM);
    await jsm.streams.update(INTAKE_STREAM, { ...info.config, max_msgs: 1, discard: DiscardPolicy.New });
    await nc.close();
    const post = (id: string) =>
      call(`${gw.url}/api/v1/messages`, {
        body: validBody({ request_id: id }),
        headers: { "x-tenant-id": "tenant-a" },
      });
    assert.equal((await post("fits")).status, 202);
    const a = await post("refused");
    const e = assertEnvelope(a, 503, "unavailable");
    assert.match(e.error.message, /JetStream did not acknowledge/);
    assert.ok(a.headers.get("retry-after"));
  });
});
