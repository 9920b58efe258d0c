// The router service: wires config, NATS (services API endpoints, backpressure and fault subjects),
// the durable intake and the HTTP side together, and drains them in order on stop.
import { randomBytes } from "node:crypto";
import {
  Match,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Service,
  type ServiceMsg,
  type Subscription,
} from "nats";
import { ROUTER_QUEUE_GROUP, SUBJECTS, type BackpressureStatus } from "../../common/contract";
import { createLogger, type Logger } from "../../common/log";
import { connectNats } from "../../common/nats";
import { computeBackpressure, LatencyWindow } from "./backpressure";
import { CircuitBreakers } from "./breaker";
import type { RouterConfig } from "./config";
import { DecideEngine, type Evaluation } from "./decide";
import { DurableIntake } from "./durable";
import { FaultRegistry, parseFaultSpec } from "./faults";
import { startHttp } from "./http";
import { Idempotency, IdempotencyCache } from "./idempotency";
import { IdempotencyKv } from "./idempotency-kv";
import { RouterMetrics } from "./metrics";
import { providerIds, Selector } from "./policy";
import { encode, errorReply } from "./replies";
import type { IntakeHeaders } from "./validation";
import { ROUTER_ENV } from "../../common/service-contract";

export { loadRouterConfig, type RouterConfig } from "./config";

export interface RouterHandle {
  /** The port /metrics, /health and /ready listen on (the real one when configured as 0). */
  metricsPort: number;
  /** This process's id in the idempotency records it writes (ROUTER_INSTANCE_ID + a random suffix). */
  routerId: string;
  /** Graceful shutdown: stop taking work, finish what is in flight, close connections. */
  stop(): Promise<void>;
}

export interface RouterHooks {
  /** Random source for weighted selection and fault rates (tests pass a seeded one). */
  random?: () => number;
}

const NO_HEADERS: IntakeHeaders = {};
const DRAIN_TIMEOUT_MS = 10_000;
/** Longest a `hold` fault keeps a reply when it sets no delay_ms. */
const HOLD_MAX_MS = 60_000;

function header(h: MsgHdrs, name: string): string | undefined {
  const v = h.get(name, Match.IgnoreCase);
  return v === "" ? undefined : v;
}

export function intakeHeaders(h: MsgHdrs | undefined): IntakeHeaders {
  if (!h) return NO_HEADERS;
  return {
    tenantId: header(h, "X-Tenant-ID"),
    traceId: header(h, "X-Trace-ID"),
    traceparent: header(h, "traceparent"),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<undefined>((r) => (t = setTimeout(() => r(undefined), ms)))]).finally(
    () => clearTimeout(t),
  );
}

export async function startRouter(
  cfg: RouterConfig,
  log: Logger = createLogger("router", cfg.logLevel),
  hooks: RouterHooks = {},
): Promise<RouterHandle> {
  const random = hooks.random ?? Math.random;
  const metrics = new RouterMetrics(providerIds(cfg.policies));
  const breakers = new CircuitBreakers({
    ...cfg.breaker,
    onChange: (provider, state) => {
      metrics.breaker(provider, state);
      log.warn("circuit breaker changed", { provider, state });
    },
  });
  const faults = new FaultRegistry(random);
  const allowed = cfg.allowedTenants.length ? new Set(cfg.allowedTenants) : undefined;
  // Per process, so a restarted router (same hostname or ROUTER_INSTANCE_ID) is another writer.
  const routerId = `${cfg.instanceId}-${randomBytes(4).toString("hex")}`;
  const idempotencyCache = new IdempotencyCache(cfg.idempotencyTtlMs, cfg.idempotencyMaxEntries);
  const latency = new LatencyWindow();
  const debug = cfg.logLevel === "debug";

  let nc: NatsConnection | undefined;
  let connected = false;
  // Set once NATS is connected; the readiness check reads them before that.
  const ref: { durable?: DurableIntake; idempotency?: IdempotencyKv } = {};
  let inflight = 0;
  let idle: (() => void) | undefined;

  const http = await startHttp(cfg.metricsHost, cfg.metricsPort, metrics.registry, [
    { name: "nats", check: async () => (connected ? undefined : "not connected") },
    {
      name: "jetstream",
      check: async () => {
        if (!connected || !nc) return "NATS not connected";
        const jsm = await nc.jetstreamManager({ timeout: 1000 });
        await jsm.getAccountInfo();
        if (!ref.durable?.ready) return "durable intake not set up yet";
        if (!ref.idempotency?.ready) {
          // Set-up is otherwise retried by the next decide; a probe retries it too.
          void ref.idempotency?.ensure().catch(() => undefined);
          return "idempotency store not set up yet";
        }
        return undefined;
      },
    },
  ]);
  log.info("http listening", { host: cfg.metricsHost, port: http.port });

  try {
    // noAsyncTraces: nats.js would otherwise capture a stack (new Error) for every request the router
    // makes (KV writes, lookups), which showed up in the bench profile.
    nc = await connectNats(cfg.nats, "beamline-router", log, { noAsyncTraces: true });
  } catch (e) {
    await http.close();
    throw e;
  }
  const conn = nc;
  connected = true;
  const idempotencyKv = new IdempotencyKv(
    conn,
    {
      ttlMs: cfg.idempotencyTtlMs,
      replicas: cfg.jetstreamReplicas,
      timeoutMs: cfg.idempotencyStoreTimeoutMs,
    },
    log,
    (maxAgeMs) => idempotencyCache.limitTtl(maxAgeMs),
  );
  ref.idempotency = idempotencyKv;
  const engine = new DecideEngine(
    new Selector(cfg.policies, breakers, random),
    new Idempotency(routerId, idempotencyCache, idempotencyKv),
    faults,
    { maxPayloadBytes: cfg.maxPayloadBytes, tenantAllowed: allowed && ((t) => allowed.has(t)) },
  );
  metrics.natsStatus.set(1);
  void (async () => {
    for await (const s of conn.status()) {
      if (s.type === "disconnect") connected = false;
      else if (s.type === "reconnect") connected = true;
      metrics.natsStatus.set(connected ? 1 : 0);
    }
  })().catch(() => undefined);

  const done = () => {
    inflight--;
    if (inflight === 0 && idle) idle();
  };
  // Replies held by a `hold` fault; any fault command (and shutdown) releases them.
  const held = new Set<() => void>();
  // Counts fault commands: a decide that was still waiting for the idempotency store when the command
  // came is released too (its hold started when it arrived, not when the store answered).
  let faultCommands = 0;
  const releaseHeld = () => {
    faultCommands++;
    for (const release of [...held]) release();
  };

  // --- decide: the hot path. Synchronous up to the idempotency store's create (one JetStream round
  // trip for a request_id this router has not seen) or a delay fault; debug logging only.
  const onDecide = (err: Error | null, msg: ServiceMsg) => {
    if (err) return;
    const t0 = performance.now();
    inflight++;
    if (inflight > cfg.maxInflight) {
      msg.respond(
        encode(
          errorReply(
            "extension_unavailable",
            `router overloaded: ${cfg.maxInflight} requests in flight`,
            {},
            null,
            {
              max_inflight: cfg.maxInflight,
            },
          ),
        ),
      );
      metrics.decision("error", "none", (performance.now() - t0) / 1000);
      return done();
    }
    const r = engine.decide(msg.data, intakeHeaders(msg.headers));
    if (r instanceof Promise) {
      const commands = faultCommands;
      void r.then((ev) => answer(msg, ev, t0, commands !== faultCommands));
    } else answer(msg, r, t0, false);
  };
  // Store failures are logged at most every few seconds (an outage would otherwise log every decide).
  let storeErrorsUnlogged = 0;
  let storeErrorLoggedAt = 0;
  const answer = (msg: ServiceMsg, ev: Evaluation, t0: number, released: boolean) => {
    const finish = () => {
      try {
        if (!ev.drop) msg.respond(ev.raw !== undefined ? Buffer.from(ev.raw, "utf8") : encode(ev.reply));
      } catch (e) {
        // The connection closed meanwhile (an answer that waited for the store): nothing to answer on.
        log.debug("decide reply not sent", { err: e });
      }
      const ms = performance.now() - t0;
      // Injected delays are not router load: keep them out of the backpressure latency signal, or a
      // timeout test would turn the gateway's next requests into 503s.
      if (!ev.delayMs && !ev.hold) latency.add(ms);
      metrics.decision(ev.outcome, ev.provider, ms / 1000);
      if (ev.intakeCode) metrics.intakeError(ev.intakeCode);
      if (ev.replay) metrics.replay(ev.replay.result, ev.replay.origin);
      if (ev.storeError) {
        metrics.idempotencyStoreErrors.inc();
        storeErrorsUnlogged++;
        if (Date.now() - storeErrorLoggedAt >= 5000) {
          log.warn("idempotency store unavailable; decides refused with extension_unavailable", {
            err: ev.storeError,
            refused: storeErrorsUnlogged,
          });
          storeErrorsUnlogged = 0;
          storeErrorLoggedAt = Date.now();
        }
      }
      if (debug) {
        const ctx = ev.reply.context;
        log.debug("decide", {
          outcome: ev.outcome,
          provider: ev.provider,
          intake_error_code: ev.intakeCode,
          tenant_id: ctx.tenant_id,
          trace_id: ctx.trace_id,
          request_id: ctx.request_id,
          replay: ev.replay && `${ev.replay.result}/${ev.replay.origin}`,
          ms,
        });
      }
      done();
    };
    if (ev.hold && released) finish();
    else if (ev.hold) {
      const release = () => {
        if (!held.delete(release)) return;
        clearTimeout(cap);
        finish();
      };
      const cap = setTimeout(release, ev.delayMs ?? HOLD_MAX_MS);
      held.add(release);
    } else if (ev.delayMs) setTimeout(finish, ev.delayMs);
    else finish();
  };

  // --- durable intake and get_decision
  const store = new DurableIntake(
    conn,
    cfg,
    (data, h) => engine.evaluate(data, intakeHeaders(h)).reply,
    log,
    (seconds) => metrics.intakeSettled(seconds),
  );
  ref.durable = store;
  // Normally the intake stream, consumer and buckets exist when startRouter resolves; if JetStream is
  // not reachable yet, set-up continues in the background (and /ready says so). Until the idempotency
  // bucket is there, decides the cache cannot answer get extension_unavailable (never a decision that
  // might contradict an earlier one).
  await withTimeout(
    Promise.all([
      store.start(),
      idempotencyKv.ensure().catch((e: unknown) => {
        log.warn("idempotency store not set up yet; retrying on use", { err: e });
      }),
    ]),
    5000,
  );

  const onGetDecision = (err: Error | null, msg: ServiceMsg) => {
    if (err) return;
    inflight++;
    void (async () => {
      let id: unknown;
      try {
        id = (JSON.parse(Buffer.from(msg.data).toString("utf8")) as { message_id?: unknown })?.message_id;
      } catch {
        id = undefined;
      }
      if (typeof id !== "string" || id === "" || id.length > 1024) {
        msg.respond(
          encode(
            errorReply(
              "invalid_request",
              'get_decision expects {"message_id":"<1-1024 characters>"}',
              {},
              "SCHEMA_VALIDATION_FAILED",
              { field: "message_id" },
            ),
          ),
        );
        return;
      }
      try {
        const r = await store.lookup(id);
        if (r.kind === "decided") msg.respond(r.data);
        else if (r.kind === "pending") msg.respond(encode({ ok: true, status: "pending" }));
        else
          msg.respond(
            encode(
              errorReply("not_found", `message ${JSON.stringify(id)} is unknown`, {}, null, {
                message_id: id,
              }),
            ),
          );
      } catch (e) {
        msg.respond(
          encode(
            errorReply("extension_unavailable", `decision store unavailable: ${(e as Error).message}`, {}),
          ),
        );
      }
    })().finally(done);
  };

  const svc: Service = await conn.services.add({
    name: "beamline-router",
    version: "1.0.0",
    description: "Beamline reference router: routing decisions over NATS",
    queue: ROUTER_QUEUE_GROUP,
    metadata: { policies: cfg.policiesSource, faults_enabled: String(cfg.faultsEnabled) },
  });
  svc.addEndpoint("decide", { subject: SUBJECTS.decide, queue: ROUTER_QUEUE_GROUP, handler: onDecide });
  svc.addEndpoint("get_decision", {
    subject: SUBJECTS.getDecision,
    queue: ROUTER_QUEUE_GROUP,
    handler: onGetDecision,
  });

  // --- backpressure: published every interval, and answered on request.
  let lastPending = 0;
  let lastP95 = 0;
  let ticking = false;
  const currentStatus = (): BackpressureStatus =>
    computeBackpressure(
      { pending: lastPending, inflight, latencyP95Ms: lastP95, forced: faults.backpressure() },
      cfg.backpressure,
    );
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      lastP95 = latency.p95AndReset();
      if (connected)
        lastPending = (await withTimeout(store.pending(), 2000).catch(() => undefined)) ?? lastPending;
      metrics.pending.set(lastPending);
      const status = currentStatus();
      metrics.backpressureActive.set(status.status === "active" ? 1 : 0);
      if (connected && !conn.isClosed()) conn.publish(SUBJECTS.backpressure, encode(status));
    } finally {
      ticking = false;
    }
  };
  const ticker = setInterval(() => void tick(), cfg.backpressure.intervalMs);
  void tick();
  const bpSub: Subscription = conn.subscribe(SUBJECTS.backpressure, {
    // Our own publishes (and anyone else's) carry no reply subject: only requests are answered.
    callback: (_e, m: Msg) => {
      if (m.reply) m.respond(encode(currentStatus()));
    },
  });

  // --- fault injection control (no queue group: every router instance applies the command).
  const faultSub: Subscription = conn.subscribe(SUBJECTS.faults, {
    callback: (_e, m: Msg) => {
      const reply = (v: unknown): void => {
        if (m.reply) m.respond(encode(v));
      };
      if (!cfg.faultsEnabled) {
        return reply(
          errorReply(
            "faults_disabled",
            `fault injection is disabled on this router; set ${ROUTER_ENV.faultsEnabled.name}=true`,
            {},
          ),
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(m.data).toString("utf8"));
      } catch {
        return reply(errorReply("invalid_request", "fault spec is not valid JSON", {}));
      }
      const { spec, error } = parseFaultSpec(body);
      if (!spec) return reply(errorReply("invalid_request", error!, {}));
      faults.apply(spec);
      releaseHeld();
      log.warn("fault injection changed", { spec: { ...spec, raw_reply: spec.raw_reply && "<set>" } });
      reply({ ok: true, faults: faults.active() });
    },
  });

  log.info("router started", {
    policies: cfg.policiesSource,
    faults_enabled: cfg.faultsEnabled,
    metrics_port: http.port,
    service_id: svc.info().id,
    router_id: routerId,
  });

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    clearInterval(ticker);
    // Without a NATS link, in-flight work cannot be answered or stored anyway: do not wait for it
    // (a container runtime would SIGKILL a slow shutdown).
    const budget = (ms: number) => (connected ? ms : Math.min(ms, 500));
    // 1. stop taking new work
    await withTimeout(svc.stop(), budget(3000)).catch(() => undefined);
    bpSub.unsubscribe();
    faultSub.unsubscribe();
    releaseHeld();
    // 2. finish what is in flight (sync decides with delays, lookups, durable messages being stored)
    await withTimeout(store.stop(), budget(DRAIN_TIMEOUT_MS));
    if (inflight > 0) await withTimeout(new Promise<void>((r) => (idle = r)), budget(DRAIN_TIMEOUT_MS));
    // 3. close: drain flushes the replies; a dead link must not hold shutdown forever
    const drained = await withTimeout(
      conn.drain().then(() => true),
      budget(5000),
    ).catch(() => false);
    if (drained !== true) await conn.close().catch(() => undefined);
    await http.close();
    log.info("router stopped", { inflight_abandoned: inflight });
  };
  return {
    metricsPort: http.port,
    routerId,
    stop: () => (stopping ??= stop()),
  };
}
