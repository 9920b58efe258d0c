// Gateway process lifecycle: config errors exit 1 naming the variable; graceful shutdown finishes the
// requests in flight, refuses new ones, then closes NATS.
import assert from "node:assert/strict";
import path from "node:path";
import { NatsConnection } from "nats";
import { createLogger } from "../../services/common/log";
import { loadGatewayConfig, RunningGateway, startGateway } from "../../services/gateway/src/app";
import { NatsServer, startNats } from "../../tooling/local/nats-server";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { waitFor } from "../../tooling/local/wait";
import {
  call,
  decide,
  natsClient,
  okDecision,
  startTestGateway,
  stubRouter,
  validBody,
} from "./gateway-harness";

const TSX = path.resolve("node_modules/.bin/tsx");

describe("gateway lifecycle", function () {
  this.timeout(30000);

  it("exits 1 with a message naming each bad variable", async function () {
    const p = new ManagedProcess("gateway-bad-config", TSX, ["services/gateway/src/main.ts"], {
      env: { GATEWAY_PORT: "http", ROUTER_REQUEST_TIMEOUT_MS: "-5" },
    });
    const code = await p.waitExit();
    assert.equal(code, 1);
    assert.match(p.output(), /GATEWAY_PORT must be an integer/);
    assert.match(p.output(), /ROUTER_REQUEST_TIMEOUT_MS must be between/);
  });

  it("logs JSON lines with trace and tenant ids and never payload contents", async function () {
    const nats = await startNats();
    const nc = await natsClient(nats);
    stubRouter(nc, (r) => (r.request_id === "bad" ? "not json" : okDecision(r)));
    await nc.flush();
    const lines: string[] = [];
    const cfg = loadGatewayConfig({ NATS_URL: nats.url, GATEWAY_HOST: "127.0.0.1", GATEWAY_PORT: "0" });
    const gw = await startGateway(
      cfg,
      createLogger("gateway", "debug", {}, (l) => lines.push(l)),
    );
    try {
      const secret = { prompt: "supersecret-prompt" };
      await decide(gw, validBody({ request_id: "bad", payload: secret }), { "x-trace-id": "trace-log-1" });
      await decide(gw, validBody({ request_id: "bad", task: { type: 1, payload: secret } }), {
        "x-trace-id": "trace-log-2",
      });
      const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const failed = recs.find((r) => r.msg === "request failed");
      assert.ok(failed, lines.join(""));
      assert.equal(failed.trace_id, "trace-log-1");
      assert.equal(failed.tenant_id, "tenant-a");
      assert.equal(failed.status, 502);
      assert.ok(recs.some((r) => r.msg === "request rejected" && r.trace_id === "trace-log-2"));
      assert.ok(!lines.join("").includes("supersecret"), "payload contents never logged");
    } finally {
      await gw.stop();
      await nc.close();
      await nats.stop();
    }
  });

  it("serves /health (and 503 elsewhere) while NATS is not up yet, then becomes ready by itself", async function () {
    const ns = new NatsServer();
    ns.port = await freePort();
    ns.monitorPort = await freePort();
    const port = await freePort();
    const starting = startTestGateway(ns, { GATEWAY_PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor("health before NATS", async () => (await call(`${url}/health`)).status === 200);
      const ready = await call(`${url}/ready`);
      assert.equal(ready.status, 503);
      assert.ok(ready.body.error.details.failing.includes("nats"));
      const d = await call(`${url}/api/v1/routes/decide`, {
        body: validBody(),
        headers: { "x-tenant-id": "t" },
      });
      assert.equal(d.status, 503);
      assert.equal(d.body.error.code, "unavailable");
      await ns.start();
      const gw = await starting;
      assert.equal(gw.port, port);
      await waitFor("ready once NATS is up", async () => (await call(`${url}/ready`)).status === 200);
      await gw.stop();
    } finally {
      await ns.stop();
    }
  });

  describe("graceful shutdown", function () {
    let nats: NatsServer;
    let nc: NatsConnection;
    let gw: RunningGateway;
    const held: Array<() => void> = [];

    before(async function () {
      nats = await startNats();
      nc = await natsClient(nats);
      stubRouter(nc, (r, msg) => {
        held.push(() => msg.respond(JSON.stringify(okDecision(r))));
        return undefined;
      });
      await nc.flush();
      gw = await startTestGateway(nats, { GATEWAY_SHUTDOWN_GRACE_MS: "5000" });
    });
    after(async function () {
      await gw?.stop();
      await nc?.close();
      await nats?.stop();
    });

    it("drains requests in flight, refuses new connections, then closes its NATS connection", async function () {
      const inflight = [1, 2, 3].map((i) => decide(gw, validBody({ request_id: `s-${i}` })));
      await waitFor("held at the router", () => held.length === 3);
      const stopped = gw.stop();
      await waitFor("listener closed", async () => {
        try {
          await call(`${gw.url}/health`);
          return false;
        } catch (e) {
          return /ECONNREFUSED/.test(String((e as Error).message));
        }
      });
      assert.equal(await nats.connections(), 2, "gateway still connected while draining");
      held.splice(0).forEach((f) => f());
      const answers = await Promise.all(inflight);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 200],
      );
      await stopped;
      await waitFor("gateway's NATS connection closed", async () => (await nats.connections()) === 1);
    });
  });
});
