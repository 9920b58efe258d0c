// Decide idempotency across router replicas against a real nats-server with JetStream: two router
// processes (the real entry point) share the KV bucket BEAMLINE_IDEMPOTENCY, so a repeat answered by
// either router gets the first decision (or IDEMPOTENCY_VIOLATION), also when both race on one
// request_id; and when the store cannot answer, a router refuses with extension_unavailable instead of
// handing out a decision nobody recorded.
import assert from "node:assert/strict";
import path from "node:path";
import { RequestStrategy, type NatsConnection, type StreamUpdateConfig } from "nats";
import { IDEMPOTENCY_BUCKET, SUBJECTS } from "../../services/common/contract";
import type { RouterHandle } from "../../services/router/src/app";
import { metricSum, parsePromText } from "../../tooling/prom-text";
import { startNats, type NatsServer } from "../../tooling/local/nats-server";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { httpOk, waitFor } from "../../tooling/local/wait";
import { ask, client, routeRequest, startTestRouter } from "./router-harness";

const MAIN = path.join(__dirname, "../../services/router/src/main.ts");
const STREAM = `KV_${IDEMPOTENCY_BUCKET}`;

interface RouterProcess {
  id: string;
  proc: ManagedProcess;
  url: string;
}

async function startRouterProcess(nats: NatsServer, id: string): Promise<RouterProcess> {
  const port = await freePort();
  const proc = new ManagedProcess(id, process.execPath, ["--import", "tsx", MAIN], {
    env: {
      NATS_URL: nats.url,
      ROUTER_METRICS_HOST: "127.0.0.1",
      ROUTER_METRICS_PORT: String(port),
      ROUTER_INSTANCE_ID: id,
      LOG_LEVEL: "warn",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${id} /ready`,
    async () => {
      if (!proc.running) throw new Error(`${id} exited:\n${proc.output()}`);
      return httpOk(`${url}/ready`);
    },
    { timeoutMs: 30000 },
  );
  return { id, proc, url };
}

/** Distinct router service instances answering $SRV.PING (so both are subscribed, not just connected). */
async function servicesAnswering(nc: NatsConnection): Promise<number> {
  const ids = new Set<string>();
  const it = await nc.requestMany("$SRV.PING.beamline-router", undefined, {
    strategy: RequestStrategy.Timer,
    maxWait: 500,
  });
  for await (const m of it) ids.add((JSON.parse(Buffer.from(m.data).toString()) as { id: string }).id);
  return ids.size;
}

interface Counts {
  same: number;
  violation: number;
  self: number;
  other: number;
  /** router_decisions_total per router. */
  decisions: number[];
}

async function counts(routers: { url: string }[]): Promise<Counts> {
  const c: Counts = { same: 0, violation: 0, self: 0, other: 0, decisions: [] };
  for (const r of routers) {
    const s = parsePromText(await (await fetch(`${r.url}/metrics`)).text());
    const n = (match: Record<string, string>) => metricSum(s, "router_idempotency_replays_total", match) ?? 0;
    c.same += n({ result: "same" });
    c.violation += n({ result: "violation" });
    c.self += n({ origin: "self" });
    c.other += n({ origin: "other" });
    c.decisions.push(metricSum(s, "router_decisions_total") ?? 0);
  }
  return c;
}

const task = (prompt: string) => ({ type: "text.generate", payload: { prompt } });

describe("router idempotency across two router processes (shared KV)", function () {
  this.timeout(90000);
  let nats: NatsServer;
  let routers: RouterProcess[] = [];
  let nc: NatsConnection;

  before(async () => {
    nats = await startNats();
    routers = await Promise.all(["router-a", "router-b"].map((id) => startRouterProcess(nats, id)));
    nc = await client(nats);
    await waitFor("both routers answer $SRV.PING", async () => (await servicesAnswering(nc)) === 2);
  });
  after(async () => {
    await nc?.close();
    await Promise.all(routers.map((r) => r.proc.stop("SIGTERM", 5000)));
    await nats?.stop();
  });

  it("creates the bucket: history 1, max age = ROUTER_IDEMPOTENCY_TTL_MS, no direct gets", async () => {
    const si = await (await nc.jetstreamManager()).streams.info(STREAM);
    assert.equal(si.config.max_msgs_per_subject, 1);
    assert.equal(si.config.max_age, 300_000 * 1e6);
    assert.equal(si.config.num_replicas, 1);
    assert.equal(si.config.allow_direct, false);
  });

  it("every pair is answered right on whichever router it lands, and repeats cross routers", async () => {
    const before = await counts(routers);
    const pairs = 60;
    const results = await Promise.all(
      Array.from({ length: pairs }, async (_, i) => {
        const same = i % 2 === 0;
        const req = routeRequest({ task: task(`pair-${i}`) });
        const first = await ask(nc, SUBJECTS.decide, req);
        const second = await ask(
          nc,
          SUBJECTS.decide,
          same ? { ...req, trace_id: `retry-${i}` } : { ...req, task: task(`changed-${i}`) },
        );
        return { i, same, req, first, second };
      }),
    );
    for (const { i, same, req, first, second } of results) {
      assert.equal(first.ok, true, JSON.stringify(first));
      if (same) {
        assert.equal(second.ok, true, JSON.stringify(second));
        assert.deepEqual(second.decision, first.decision, `${req.request_id}: the first decision again`);
        assert.equal(second.context.trace_id, `retry-${i}`, "with the repeat's own context");
      } else {
        assert.equal(second.ok, false, JSON.stringify(second));
        assert.equal(second.error.code, "invalid_request");
        assert.equal(second.error.intake_error_code, "IDEMPOTENCY_VIOLATION");
        assert.equal(second.context.request_id, req.request_id);
      }
    }
    const after = await counts(routers);
    assert.equal(after.same - before.same, pairs / 2, "every same-content repeat was a replay");
    assert.equal(after.violation - before.violation, pairs / 2, "every changed repeat was a violation");
    assert.ok(
      after.other - before.other > 0,
      `some repeats reached the other router: ${JSON.stringify(after)}`,
    );
    assert.ok(after.self - before.self > 0, "and some the same router");
    assert.ok(
      after.decisions.every((n, i) => n > before.decisions[i]),
      `both routers answered: ${after.decisions}`,
    );
  });

  it("the same request fired at both routers at once gets one decision", async () => {
    const before = await counts(routers);
    for (let i = 0; i < 20; i++) {
      const req = routeRequest({ task: task(`race-${i}`) });
      const rs = await Promise.all(Array.from({ length: 8 }, () => ask(nc, SUBJECTS.decide, req)));
      assert.ok(
        rs.every((r) => r.ok),
        JSON.stringify(rs.find((r) => !r.ok)),
      );
      assert.equal(new Set(rs.map((r) => JSON.stringify(r.decision))).size, 1, JSON.stringify(rs));
    }
    const after = await counts(routers);
    assert.ok(
      after.decisions.every((n, i) => n > before.decisions[i]),
      `both routers took part: ${after.decisions}`,
    );
    assert.ok(after.other > before.other, "a router answered from the other's record");
  });

  it("racing different content on one request_id: the first content's decision, violations for the other", async () => {
    for (let i = 0; i < 20; i++) {
      const req = routeRequest({ task: task(`x-${i}`) });
      const other = { ...req, task: task(`y-${i}`) };
      const bodies = Array.from({ length: 12 }, (_, j) => (j % 2 ? other : req));
      const rs = await Promise.all(bodies.map((b) => ask(nc, SUBJECTS.decide, b)));
      const won = rs.find((r) => r.ok);
      assert.ok(won, "one content was decided");
      const winner = bodies[rs.indexOf(won)];
      rs.forEach((r, j) => {
        if (bodies[j] === winner) assert.deepEqual(r.decision, won.decision, JSON.stringify(r));
        else assert.equal(r.error?.intake_error_code, "IDEMPOTENCY_VIOLATION", JSON.stringify(r));
      });
    }
  });
});

describe("router idempotency when the shared store cannot answer", function () {
  this.timeout(60000);
  let nats: NatsServer;
  let nc: NatsConnection;
  const started: RouterHandle[] = [];
  const metrics = async (r: RouterHandle) =>
    parsePromText(await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text());

  before(async () => {
    nats = await startNats();
    nc = await client(nats);
  });
  after(async () => {
    await nc?.close();
    for (const r of started) await r.stop();
    await nats?.stop();
  });

  it("refuses with extension_unavailable rather than answer as new; answers what it knows; recovers", async () => {
    const a = await startTestRouter(nats, { ROUTER_INSTANCE_ID: "router-a" });
    started.push(a);
    // The router's subscriptions travel on its own connection: wait until the server routes to it.
    await waitFor("router a answers", async () => (await servicesAnswering(nc)) === 1);
    const req = routeRequest({ task: task("known") });
    const first = await ask(nc, SUBJECTS.decide, req);
    assert.equal(first.ok, true);

    // The bucket stops taking writes (a sealed stream refuses every publish; reads still work).
    const jsm = await nc.jetstreamManager();
    const si = await jsm.streams.info(STREAM);
    await jsm.streams.update(STREAM, { ...si.config, sealed: true } as Partial<StreamUpdateConfig>);

    const expectUnavailable = (r: any, what: string) => {
      assert.equal(r.ok, false, `${what}: ${JSON.stringify(r)}`);
      assert.equal(r.error.code, "extension_unavailable", what);
      assert.match(r.error.message, /idempotency store unavailable/, what);
      assert.equal(r.error.intake_error_code, null, what);
      assert.equal(r.context.request_id !== undefined, true, what);
    };
    // Router a wrote the record: it keeps answering repeats from its cache, correctly.
    const again = await ask(nc, SUBJECTS.decide, req);
    assert.deepEqual(again.decision, first.decision);
    const changed = await ask(nc, SUBJECTS.decide, { ...req, task: task("changed") });
    assert.equal(changed.error?.intake_error_code, "IDEMPOTENCY_VIOLATION");
    // A request_id nobody has seen cannot be recorded: refused, retryable.
    expectUnavailable(await ask(nc, SUBJECTS.decide, routeRequest()), "new request_id");
    const errors = (await metrics(a)).find((s) => s.name === "router_idempotency_store_errors_total");
    assert.equal(errors?.value, 1);

    // Router b (a fresh process: empty cache) alone. It cannot record, so even a repeat it cannot
    // settle from its cache is refused, never decided afresh.
    const b = await startTestRouter(nats, { ROUTER_INSTANCE_ID: "router-b" });
    started.push(b);
    await a.stop();
    await waitFor("only router b answers", async () => (await servicesAnswering(nc)) === 1);
    const fromB = await ask(nc, SUBJECTS.decide, req);

    if (fromB.ok) assert.deepEqual(fromB.decision, first.decision, "if answered, then from the record");
    else expectUnavailable(fromB, "repeat on router b");
    expectUnavailable(await ask(nc, SUBJECTS.decide, routeRequest()), "new request_id on router b");

    // The broken bucket is removed: router b re-creates it on the next decide and decides again.
    await jsm.streams.delete(STREAM);
    const fresh = await waitFor("decides recorded again", async () => {
      const r = await ask(nc, SUBJECTS.decide, routeRequest());
      return r.ok ? r : undefined;
    });
    assert.ok(fresh.decision.provider_id);
    const info = await jsm.streams.info(STREAM);
    assert.equal(info.config.sealed, false);
  });

  it("a bucket JetStream cannot host (3 replicas on one server): every new decide is refused, /ready says why", async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(STREAM).catch(() => undefined);
    for (const r of started.splice(0)) await r.stop();
    const r3 = await startTestRouter(nats, { ROUTER_JETSTREAM_REPLICAS: "3" });
    started.push(r3);
    await waitFor("only the R3 router answers", async () => (await servicesAnswering(nc)) === 1);
    const r = await ask(nc, SUBJECTS.decide, routeRequest());
    assert.equal(r.error?.code, "extension_unavailable", JSON.stringify(r));
    const ready = await fetch(`http://127.0.0.1:${r3.metricsPort}/ready`);
    assert.equal(ready.status, 503);
  });
});
