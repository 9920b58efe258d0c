// The router against NATS failures and process lifecycle: NATS SIGKILLed and restarted (decide and
// durable consumption resume by themselves, /ready is 503 meanwhile), fault injection when disabled,
// config errors and graceful shutdown of the real entry point.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { headers as natsHeaders, type NatsConnection } from "nats";
import {
  DECISIONS_BUCKET,
  INTAKE_CONSUMER,
  INTAKE_STREAM,
  SUBJECTS,
  intakeSubject,
} from "../../services/common/contract";
import type { RouterHandle } from "../../services/router/src/app";
import { startNats, type NatsServer } from "../../tooling/local/nats-server";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { httpOk, waitFor } from "../../tooling/local/wait";
import { ask, client, routeRequest, startTestRouter } from "./router-harness";

const MAIN = path.join(__dirname, "../../services/router/src/main.ts");

describe("router resilience", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let router: RouterHandle;
  let nc: NatsConnection;
  const url = (p: string) => `http://127.0.0.1:${router.metricsPort}${p}`;

  before(async () => {
    nats = await startNats();
    router = await startTestRouter(nats); // faults disabled (the default)
    nc = await client(nats);
  });
  after(async () => {
    await nc?.close();
    await router?.stop();
    await nats?.stop();
  });

  it("refuses fault commands when fault injection is disabled", async () => {
    const r = await ask(nc, SUBJECTS.faults, { error_code: "internal" });
    assert.equal(r.ok, false);
    assert.equal(r.error.code, "faults_disabled");
    assert.match(r.error.message, /ROUTER_FAULTS_ENABLED/);
    const d = await ask(nc, SUBJECTS.decide, routeRequest());
    assert.equal(d.ok, true, "the fault was not applied");
  });

  it("survives a NATS SIGKILL and restart: /ready 503 meanwhile, decide and durable resume", async () => {
    await waitFor("/ready 200", () => httpOk(url("/ready")));
    await nats.kill("SIGKILL");
    const notReady = await waitFor("/ready 503", async () => {
      const res = await fetch(url("/ready"));
      return res.status === 503 ? ((await res.json()) as any) : undefined;
    });
    assert.equal(notReady.checks.nats, "not connected");
    assert.match(await (await fetch(url("/metrics"))).text(), /router_nats_connection_status 0/);
    assert.equal((await fetch(url("/health"))).status, 200, "liveness is unaffected");

    await nats.start();
    await waitFor("/ready 200 again", () => httpOk(url("/ready")), { timeoutMs: 20000 });
    const d = await waitFor(
      "decide after restart",
      async () => {
        const r = await ask(nc, SUBJECTS.decide, routeRequest(), {}, 1000).catch(() => undefined);
        return r?.ok ? r : undefined;
      },
      { timeoutMs: 20000 },
    );
    assert.ok(d.decision.provider_id);

    const js = nc.jetstream();
    const id = `after-restart-${Date.now()}`;
    const h = natsHeaders();
    h.set("Nats-Msg-Id", id);
    await waitFor("intake publish after restart", () =>
      js
        .publish(intakeSubject(id), Buffer.from(JSON.stringify(routeRequest())), { headers: h })
        .then(() => true),
    );
    const decided = await waitFor(
      "durable decision after restart",
      async () => {
        const r = await ask(nc, SUBJECTS.getDecision, { message_id: id }, {}, 1000).catch(() => undefined);
        return r?.ok && r.decision ? r : undefined;
      },
      { timeoutMs: 30000 },
    );
    assert.ok(decided.decision.provider_id);
  });

  it("main.ts prints the config error naming the variable and exits 1", async () => {
    const p = new ManagedProcess("router-badcfg", process.execPath, ["--import", "tsx", MAIN], {
      env: { ROUTER_METRICS_PORT: "not-a-port", ROUTER_FAULTS_ENABLED: "perhaps" },
    });
    assert.equal(await p.waitExit(), 1);
    assert.match(p.output(), /ROUTER_METRICS_PORT must be an integer/);
    assert.match(p.output(), /ROUTER_FAULTS_ENABLED must be true or false/);
  });

  it("main.ts drains on SIGTERM: an in-flight (delayed) decide still gets its reply, exit 0", async () => {
    const port = await freePort();
    const p = new ManagedProcess("router-main", process.execPath, ["--import", "tsx", MAIN], {
      env: {
        NATS_URL: nats.url,
        ROUTER_METRICS_PORT: String(port),
        ROUTER_FAULTS_ENABLED: "true",
        LOG_LEVEL: "info",
      },
    });
    try {
      await waitFor("router main ready", () => httpOk(`http://127.0.0.1:${port}/ready`), {
        timeoutMs: 20000,
      });
      // Stop the in-process router so the only decide responder is the child process.
      await router.stop();
      const set = await ask(nc, SUBJECTS.faults, { delay_ms: 800 });
      assert.equal(set.ok, true);
      const inflight = ask(nc, SUBJECTS.decide, routeRequest(), {}, 5000);
      await waitFor("request in flight", async () =>
        /"inflight":1/.test(JSON.stringify(await ask(nc, SUBJECTS.backpressure, ""))),
      );
      p.child.kill("SIGTERM");
      const r = await inflight;
      assert.equal(r.ok, true);
      assert.equal(await p.waitExit(), 0);
      assert.match(p.output(), /"msg":"router stopped"/);
    } finally {
      await p.stop("SIGKILL");
    }
  });
});

describe("router resilience: NATS back without its store", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let router: RouterHandle;
  let nc: NatsConnection;

  before(async () => {
    nats = await startNats();
    router = await startTestRouter(nats);
    nc = await client(nats);
  });
  after(async () => {
    await nc?.close();
    await router?.stop();
    await nats?.stop();
  });

  it("re-creates the intake stream, consumer and decision bucket and keeps consuming", async () => {
    await waitFor("durable ready", () => httpOk(`http://127.0.0.1:${router.metricsPort}/ready`));
    await nats.kill("SIGKILL");
    fs.rmSync(nats.storeDir, { recursive: true, force: true });
    fs.mkdirSync(nats.storeDir);
    await nats.start();
    const js = nc.jetstream();
    const id = `fresh-store-${Date.now()}`;
    const h = natsHeaders();
    h.set("Nats-Msg-Id", id);
    // The stream only exists again once the router re-created it.
    await waitFor(
      "intake stream re-created",
      () =>
        js
          .publish(intakeSubject(id), Buffer.from(JSON.stringify(routeRequest())), { headers: h })
          .then(() => true),
      { timeoutMs: 30000, intervalMs: 250 },
    );
    const decided = await waitFor(
      "durable decision on the fresh store",
      async () => {
        const r = await ask(nc, SUBJECTS.getDecision, { message_id: id }, {}, 1000).catch(() => undefined);
        return r?.ok && r.decision ? r : undefined;
      },
      { timeoutMs: 30000, intervalMs: 250 },
    );
    assert.ok(decided.decision.provider_id);
  });

  it("re-creates a lost decision bucket without burning the message's deliveries", async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`KV_${DECISIONS_BUCKET}`);
    const id = `lost-bucket-${Date.now()}`;
    const h = natsHeaders();
    h.set("Nats-Msg-Id", id);
    await nc
      .jetstream()
      .publish(intakeSubject(id), Buffer.from(JSON.stringify(routeRequest())), { headers: h });
    const decided = await waitFor(
      "decision stored in the re-created bucket",
      async () => {
        const r = await ask(nc, SUBJECTS.getDecision, { message_id: id }, {}, 1000).catch(() => undefined);
        return r?.ok && r.decision ? r : undefined;
      },
      { timeoutMs: 20000, intervalMs: 200 },
    );
    assert.ok(decided.decision.provider_id);
  });
});

describe("router durable redelivery", function () {
  this.timeout(30000);
  let nats: NatsServer;
  let router: RouterHandle;
  let nc: NatsConnection;

  before(async () => {
    nats = await startNats();
    nc = await client(nats);
    // A decisions bucket that cannot hold any reply: every store attempt fails.
    await nc.jetstream().views.kv(DECISIONS_BUCKET, { history: 1, maxValueSize: 8 });
    router = await startTestRouter(nats, {
      ROUTER_DURABLE_MAX_DELIVER: "3",
      ROUTER_DURABLE_BACKOFF_MS: "200,400",
    });
  });
  after(async () => {
    await nc?.close();
    await router?.stop();
    await nats?.stop();
  });

  it("naks a message it cannot store, redelivers it with backoff a bounded number of times, then stops", async () => {
    await waitFor("durable intake set up", () => httpOk(`http://127.0.0.1:${router.metricsPort}/ready`));
    const id = "cannot-store";
    const h = natsHeaders();
    h.set("Nats-Msg-Id", id);
    await nc
      .jetstream()
      .publish(intakeSubject(id), Buffer.from(JSON.stringify(routeRequest())), { headers: h });
    const jsm = await nc.jetstreamManager();
    const info = await waitFor("3 deliveries, nothing left to ack", async () => {
      const ci = await jsm.consumers.info(INTAKE_STREAM, INTAKE_CONSUMER);
      return ci.delivered.consumer_seq === 3 && ci.num_ack_pending === 0 && ci.num_pending === 0
        ? ci
        : undefined;
    });
    assert.equal(info.num_redelivered, 0, "terminated, not waiting for another redelivery");
    // Accepted but never decided: get_decision keeps answering pending.
    assert.deepEqual(await ask(nc, SUBJECTS.getDecision, { message_id: id }), {
      ok: true,
      status: "pending",
    });
  });
});

describe("router shutdown without NATS", function () {
  this.timeout(30000);
  it("stops within a few seconds when NATS is gone", async () => {
    const nats = await startNats();
    const router = await startTestRouter(nats);
    try {
      await nats.kill("SIGKILL");
      await waitFor(
        "/ready 503",
        async () => (await fetch(`http://127.0.0.1:${router.metricsPort}/ready`)).status === 503,
      );
      const t0 = Date.now();
      await router.stop();
      assert.ok(Date.now() - t0 < 4000, `stop took ${Date.now() - t0} ms`);
    } finally {
      await nats.stop();
    }
  });
});
