// Gateway under faults: NATS killed with requests in flight, 1000 timed-out requests without leaks, an
// idle half-open client that must not delay others, and 1000 generated malformed requests.
import assert from "node:assert/strict";
import net from "node:net";
import { NatsConnection } from "nats";
import type { RunningGateway } from "../../services/gateway/src/app";
import { INTAKE_STREAM, intakeSubject } from "../../services/common/contract";
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
import { malformedRequests } from "./gateway-malformed";

/** Subscriptions the gateway's connection holds, from the server's point of view (/connz?subs=1). */
async function gatewaySubs(nats: NatsServer): Promise<number> {
  const res = await fetch(`${nats.monitorUrl}/connz?subs=1`);
  const body = (await res.json()) as { connections: Array<{ name?: string; num_subscriptions: number }> };
  return body.connections
    .filter((c) => c.name === "beamline-gateway")
    .reduce((n, c) => n + c.num_subscriptions, 0);
}

describe("gateway: NATS killed and restarted with requests in flight", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let gw: RunningGateway;
  let nc: NatsConnection | undefined;

  before(async function () {
    nats = await startNats();
    gw = await startTestGateway(nats, { ROUTER_REQUEST_TIMEOUT_MS: "2000" });
  });
  after(async function () {
    await gw?.stop();
    await nc?.close();
    await nats?.stop();
  });

  async function startRouterStub() {
    nc = await natsClient(nats);
    // Slow replies so requests are really in flight when NATS dies.
    stubRouter(nc, (r, msg) => {
      setTimeout(() => msg.respond(JSON.stringify(okDecision(r))), 200);
      return undefined;
    });
    await nc.flush();
  }

  it("answers every request (200 or an explicit 503/504), goes unready, and resumes by itself", async function () {
    await startRouterStub();
    assert.equal((await decide(gw)).status, 200);
    const inflight = Array.from({ length: 50 }, (_, i) => decide(gw, validBody({ request_id: `r-${i}` })));
    await waitFor("requests in flight", () => gw.debugStats().inflight >= 20);
    await nats.kill("SIGKILL");
    await nc!.close().catch(() => undefined);
    const answers = await Promise.all(inflight);
    for (const a of answers) {
      if (a.status === 200) continue;
      assert.ok([503, 504].includes(a.status), `status ${a.status}`);
      assertEnvelope(a, a.status, a.status === 503 ? "unavailable" : "timeout");
    }
    assert.ok(
      answers.some((a) => a.status === 503),
      "in-flight requests fail fast with 503 on disconnect",
    );
    // While NATS is down: fast 503, /ready 503, /health still 200.
    const t0 = Date.now();
    assertEnvelope(await decide(gw), 503, "unavailable");
    // 503 (not 504) already shows it did not wait; the bound keeps it well under the 2 s timeout even on a busy machine.
    assert.ok(Date.now() - t0 < 1500, "fast 503 while disconnected");
    const notReady = await call(`${gw.url}/ready`);
    assertEnvelope(notReady, 503, "unavailable");
    assert.ok(notReady.body.error.details.failing.includes("nats"));
    assert.equal((await call(`${gw.url}/health`)).status, 200);

    await nats.start();
    await startRouterStub();
    await waitFor("/ready 200 after restart", async () => (await call(`${gw.url}/ready`)).status === 200, {
      timeoutMs: 20000,
    });
    await waitFor("decide works again", async () => (await decide(gw)).status === 200);
    const m = await call(`${gw.url}/metrics`);
    assert.match(m.body, /gateway_nats_reconnects_total [1-9]/);
    assert.match(m.body, /gateway_nats_connection_status 1/);
    assert.equal(gw.debugStats().linkWaiters, 0);
  });
});

describe("gateway: durable intake across a NATS kill", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let gw: RunningGateway;

  before(async function () {
    nats = await startNats();
    gw = await startTestGateway(nats, { GATEWAY_JETSTREAM_TIMEOUT_MS: "10000" });
    await gatewayReady(gw);
  });
  after(async function () {
    await gw?.stop();
    await nats?.stop();
  });

  const post = (id: string) =>
    call(`${gw.url}/api/v1/messages`, {
      body: validBody({ request_id: id, message_id: id }),
      headers: { "x-tenant-id": "tenant-a" },
    });

  it("answers 504 (outcome unknown) for messages sent before the link died, and 503 only for messages never sent", async function () {
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => post(`pre-${i}`)));
    for (const a of before) assert.equal(a.status, 202);
    // Freeze NATS, so the next publishes reach its socket but are never acknowledged; once all of them
    // are in flight, SIGKILL it, which the gateway sees as the link dropping.
    process.kill(nats.pid!, "SIGSTOP");
    const sent = Array.from({ length: 20 }, (_, i) => post(`sent-${i}`));
    await waitFor("publishes in flight", () => gw.debugStats().linkWaiters >= 20);
    await nats.kill("SIGKILL");
    for (const a of await Promise.all(sent)) {
      const e = assertEnvelope(a, 504, "timeout");
      assert.match(e.error.message, /may have been stored: retry with the same message id/);
    }
    await waitFor("gateway sees NATS down", async () => (await call(`${gw.url}/ready`)).status === 503);
    const refused = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`down-${i}`)));
    for (const a of refused) assertEnvelope(a, 503, "unavailable");

    await nats.start();
    await waitFor("/ready 200 after restart", async () => (await call(`${gw.url}/ready`)).status === 200, {
      timeoutMs: 20000,
    });
    // Let anything the client may have buffered reach the server before looking at the stream.
    assert.equal((await post("after-0")).status, 202);
    const nc = await natsClient(nats);
    try {
      const jsm = await nc.jetstreamManager();
      const stored = async (id: string) =>
        jsm.streams.getMessage(INTAKE_STREAM, { last_by_subj: intakeSubject(id) }).then(
          () => true,
          () => false,
        );
      for (let i = 0; i < 10; i++) assert.ok(await stored(`pre-${i}`), `accepted pre-${i} is in the stream`);
      for (let i = 0; i < 20; i++)
        assert.equal(await stored(`down-${i}`), false, `refused down-${i} was stored`);
      assert.ok(await stored("after-0"));
    } finally {
      await nc.close();
    }
  });
});

describe("gateway: 10 quick NATS restart cycles", function () {
  this.timeout(120000);
  it("reconnects after each, leaks no connections and keeps answering", async function () {
    const nats = await startNats();
    const gw = await startTestGateway(nats, { ROUTER_REQUEST_TIMEOUT_MS: "1000" });
    let nc: NatsConnection | undefined;
    try {
      for (let cycle = 0; cycle < 10; cycle++) {
        await nats.kill("SIGKILL");
        assertEnvelope(await decide(gw), 503, "unavailable");
        await nats.start();
        await waitFor(
          `ready after restart ${cycle + 1}`,
          async () => (await call(`${gw.url}/ready`)).status === 200,
          {
            timeoutMs: 20000,
          },
        );
      }
      assert.equal(await nats.connections(), 1, "exactly the gateway's one connection");
      nc = await natsClient(nats);
      stubRouter(nc, (r) => okDecision(r));
      await nc.flush();
      assert.equal((await decide(gw)).status, 200);
      const m = await call(`${gw.url}/metrics`);
      const reconnects = Number(/gateway_nats_reconnects_total (\d+)/.exec(m.body)?.[1]);
      assert.ok(reconnects >= 10, `reconnects ${reconnects}`);
      assert.equal(gw.debugStats().linkWaiters, 0);
    } finally {
      await gw.stop();
      await nc?.close();
      await nats.stop();
    }
  });
});

describe("gateway: no leaks and no head-of-line blocking", function () {
  this.timeout(90000);
  let nats: NatsServer;
  let gw: RunningGateway;
  let nc: NatsConnection;
  let silent = true;

  before(async function () {
    nats = await startNats();
    nc = await natsClient(nats);
    stubRouter(nc, (r) => (silent ? undefined : okDecision(r)));
    await nc.flush();
    gw = await startTestGateway(nats, {
      ROUTER_REQUEST_TIMEOUT_MS: "200",
      GATEWAY_MAX_INFLIGHT: "2000",
      GATEWAY_HEADERS_TIMEOUT_MS: "1500",
      GATEWAY_HTTP_REQUEST_TIMEOUT_MS: "3000",
    });
    // The intake stream is created after connect with nats.js requests (JetStream API); wait for it so
    // the baseline of pending requests below is not taken while one is in flight (CI caught that once).
    await gatewayReady(gw);
  });
  after(async function () {
    await gw?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it("1000 timed-out requests leave no pending NATS requests, subscriptions or handles behind", async function () {
    silent = false;
    assert.equal((await decide(gw)).status, 200);
    silent = true;
    const handles0 = (process as any)._getActiveHandles().length;
    const subs0 = await gatewaySubs(nats);
    const mux0 = gw.debugStats().natsMuxPending;
    const heap0 = process.memoryUsage().heapUsed;
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => decide(gw, validBody({ request_id: `t-${batch}-${i}` }))),
      );
      for (const a of answers) assertEnvelope(a, 504, "timeout");
    }
    // Late replies to all of them now arrive and must be dropped.
    silent = false;
    await nc.flush();
    const s = gw.debugStats();
    assert.equal(s.natsMuxPending, mux0, "pending NATS requests");
    assert.equal(s.inflight, 0);
    assert.equal(s.linkWaiters, 0);
    assert.equal(await gatewaySubs(nats), subs0, "server-side subscriptions of the gateway");
    const handles1 = await waitFor("handles settle", () => {
      const n = (process as any)._getActiveHandles().length;
      return n <= handles0 + 5 ? n : undefined;
    });
    assert.ok(handles1 <= handles0 + 5, `handles ${handles0} → ${handles1}`);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
    assert.ok(heapGrowthMb < 100, `heap grew ${heapGrowthMb.toFixed(1)} MB`);
    assert.equal((await decide(gw)).status, 200);
  });

  it("an idle client sending partial headers does not delay others and is cut off by headersTimeout", async function () {
    silent = false;
    const idle = net.connect(gw.port, "127.0.0.1");
    await new Promise((r) => idle.once("connect", r));
    idle.write("POST /api/v1/routes/decide HTTP/1.1\r\nHost: x\r\nX-Tenant-ID: slow");
    let closed = false;
    let got = "";
    idle.on("data", (d) => (got += d.toString()));
    idle.on("close", () => (closed = true));
    idle.on("error", () => undefined);
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => decide(gw)));
    const took = Date.now() - t0;
    assert.ok(answers.every((a) => a.status === 200));
    // Blocked behind the idle client they would wait for its 1.5 s headers timeout.
    assert.ok(took < 1500, `20 requests took ${took} ms next to an idle client`);
    await waitFor("idle client cut off", () => closed, { timeoutMs: 6000 });
    assert.match(got, /^HTTP\/1\.1 408/);
  });

  it("1000 generated malformed requests all get 4xx with the envelope; the process stays healthy", async function () {
    silent = false;
    const rss0 = process.memoryUsage().rss;
    const cases = malformedRequests(1000, 20261127);
    const byStatus: Record<number, number> = {};
    for (let i = 0; i < cases.length; i += 50) {
      const answers = await Promise.all(
        cases.slice(i, i + 50).map(async (c) => {
          const a = await call(`${gw.url}${c.path}`, { method: c.method, raw: c.body, headers: c.headers });
          return { a, c };
        }),
      );
      for (const { a, c } of answers) {
        byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
        assert.ok(
          a.status >= 400 && a.status < 500,
          `${c.kind}: status ${a.status} ${JSON.stringify(a.body)}`,
        );
        assert.equal(a.body?.ok, false, `${c.kind}: envelope`);
        assertEnvelope(a, a.status, a.body.error.code);
      }
    }
    assert.ok(Object.keys(byStatus).length >= 3, `variety of statuses: ${JSON.stringify(byStatus)}`);
    assert.equal((await call(`${gw.url}/health`)).status, 200);
    assert.equal((await decide(gw)).status, 200);
    const rssGrowthMb = (process.memoryUsage().rss - rss0) / 1e6;
    assert.ok(rssGrowthMb < 200, `rss grew ${rssGrowthMb.toFixed(1)} MB`);
  });
});
