// Durable intake: a durable pull consumer on BEAMLINE_INTAKE decides each message and stores the
// reply in the decisions KV bucket (key = the message's subject token, base64url of its id, which is
// always a valid KV key), and only then acks. Failures are nak'ed with backoff and redelivered a
// bounded number of times. The loop re-creates stream, consumer and bucket when they disappear (a NATS
// restart without its store) and keeps consuming across reconnects.
import {
  AckPolicy,
  ConsumerEvents,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type KV,
  type MsgHdrs,
  type NatsConnection,
  nanos,
} from "nats";
import {
  DECISIONS_BUCKET,
  INTAKE_CONSUMER,
  INTAKE_STREAM,
  SUBJECTS,
  intakeSubject,
  type RouterReply,
} from "../../common/contract";
import { ensureIntakeStream } from "../../common/intake";
import type { Logger } from "../../common/log";
import type { RouterConfig } from "./config";
import { encode } from "./replies";

export type StoredDecision =
  { kind: "decided"; data: Uint8Array } | { kind: "pending" } | { kind: "not_found" };

const PREFIX = `${SUBJECTS.intakePrefix}.`;
/** Messages decided concurrently (each waits for its KV write before the ack). */
const CONCURRENCY = 256;

export function decisionKey(messageId: string): string {
  return intakeSubject(messageId).slice(PREFIX.length);
}

export class DurableIntake {
  private stopped = false;
  private msgs?: ConsumerMessages;
  private kv?: KV;
  private jsm?: JetStreamManager;
  private readonly js: JetStreamClient;
  private loop?: Promise<void>;
  private inflight = 0;
  private slotWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private wake?: () => void;

  constructor(
    private readonly nc: NatsConnection,
    private readonly cfg: RouterConfig,
    private readonly decide: (data: Uint8Array, headers: MsgHdrs | undefined) => RouterReply,
    private readonly log: Logger,
    /** Called when a message is acked (latency since JetStream accepted it) or terminated (undefined). */
    private readonly onSettled: (latencySeconds: number | undefined) => void = () => undefined,
  ) {
    this.js = nc.jetstream({ timeout: 5000 });
  }

  /** True once stream, consumer and bucket exist. */
  get ready(): boolean {
    return !!this.kv;
  }

  /** Starts consuming; resolves once the first set-up attempt finished (succeeded or failed). */
  start(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.firstSetup = resolve;
      this.loop = this.run();
    });
  }
  private firstSetup?: () => void;

  private async setup(): Promise<void> {
    const jsm = await this.nc.jetstreamManager({ timeout: 5000 });
    await ensureIntakeStream(jsm, this.cfg.jetstreamReplicas);
    const { maxDeliver, backoffMs, maxAckPending } = this.cfg.durable;
    try {
      await jsm.consumers.info(INTAKE_STREAM, INTAKE_CONSUMER);
    } catch {
      await jsm.consumers.add(INTAKE_STREAM, {
        durable_name: INTAKE_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_deliver: maxDeliver,
        // The server waits backoff[n] before the n-th redelivery of an un-acked message.
        ack_wait: nanos(backoffMs[0] ?? 30000),
        backoff: backoffMs.length ? backoffMs.map((ms) => nanos(ms)) : undefined,
        max_ack_pending: maxAckPending,
        num_replicas: this.cfg.jetstreamReplicas,
      });
    }
    // Bind to an existing bucket as it is (its settings may predate a config change); create it only
    // when its stream is missing (bindOnly itself does not check that the bucket exists).
    const exists = await jsm.streams.info(`KV_${DECISIONS_BUCKET}`).then(
      () => true,
      () => false,
    );
    this.kv = await this.js.views.kv(
      DECISIONS_BUCKET,
      exists
        ? { bindOnly: true }
        : { history: 1, ttl: this.cfg.durable.decisionTtlMs, replicas: this.cfg.jetstreamReplicas },
    );
    this.jsm = jsm;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.kv) {
          await this.setup().finally(() => this.firstSetup?.());
          this.log.info("durable intake ready", { stream: INTAKE_STREAM, consumer: INTAKE_CONSUMER });
        }
        const consumer = await this.js.consumers.get(INTAKE_STREAM, INTAKE_CONSUMER);
        const msgs = await consumer.consume({ max_messages: CONCURRENCY });
        this.msgs = msgs;
        void this.watch(msgs);
        for await (const m of msgs) {
          if (this.inflight >= CONCURRENCY) await new Promise<void>((r) => this.slotWaiters.push(r));
          this.inflight++;
          void this.handle(m).finally(() => this.release());
          if (this.stopped) break;
        }
      } catch (e) {
        if (!this.stopped) this.log.warn("durable intake error; retrying", { err: e });
      }
      this.msgs = undefined;
      if (!this.stopped) await new Promise<void>((r) => setTimeout((this.wake = r), 1000));
    }
  }

  /** Stops the consume loop when the consumer or stream is gone, so `run` re-creates them. */
  private async watch(msgs: ConsumerMessages): Promise<void> {
    for await (const s of await msgs.status()) {
      this.log.debug("durable consumer status", { type: s.type, data: s.data });
      if (
        (s.type === ConsumerEvents.ConsumerNotFound || s.type === ConsumerEvents.StreamNotFound) &&
        Number(s.data) >= 1
      ) {
        this.log.warn("durable consumer lost; re-creating", { event: s.type });
        this.kv = undefined;
        msgs.stop();
        return;
      }
    }
  }

  private release(): void {
    this.inflight--;
    this.slotWaiters.shift()?.();
    if (this.inflight === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }

  private async handle(m: JsMsg): Promise<void> {
    const key = m.subject.startsWith(PREFIX) ? m.subject.slice(PREFIX.length) : "";
    try {
      if (!key || !this.kv) throw new Error(`cannot store decision for subject ${m.subject}`);
      const reply = this.decide(m.data, m.headers);
      try {
        await this.kv.create(key, encode(reply));
      } catch (e) {
        // Already decided (a redelivery after a lost ack): keep the first decision.
        if (!/wrong last sequence/i.test((e as Error).message)) throw e;
      }
      m.ack();
      this.onSettled((Date.now() - m.info.timestampNanos / 1e6) / 1000);
    } catch (e) {
      // 503 = nothing serves the bucket's subjects: the bucket is gone (e.g. NATS restarted without
      // having persisted it). Re-run the set-up instead of burning the message's deliveries.
      if ((e as { code?: string }).code === "503" && this.kv) {
        this.log.warn("decision bucket unavailable; re-creating durable resources", { seq: m.seq });
        this.kv = undefined;
        this.msgs?.stop();
      }
      const attempt = m.info.redeliveryCount;
      const { maxDeliver, backoffMs } = this.cfg.durable;
      if (attempt >= maxDeliver) {
        this.log.error("durable message dropped after max deliveries", { seq: m.seq, attempt, err: e });
        m.term();
        this.onSettled(undefined);
      } else {
        this.log.warn("durable message failed; will be redelivered", { seq: m.seq, attempt, err: e });
        m.nak(backoffMs[Math.min(attempt - 1, backoffMs.length - 1)] ?? 1000);
      }
    }
  }

  /** Consumer num_pending (messages not yet delivered); undefined while JetStream is unreachable. */
  async pending(): Promise<number | undefined> {
    if (!this.jsm) return undefined;
    const info = await this.jsm.consumers.info(INTAKE_STREAM, INTAKE_CONSUMER);
    return info.num_pending;
  }

  async lookup(messageId: string): Promise<StoredDecision> {
    if (!this.kv || !this.jsm) throw new Error("durable intake is not ready (JetStream unreachable)");
    const e = await this.kv.get(decisionKey(messageId));
    if (e && e.operation === "PUT") return { kind: "decided", data: e.value };
    try {
      await this.jsm.streams.getMessage(INTAKE_STREAM, { last_by_subj: intakeSubject(messageId) });
      return { kind: "pending" };
    } catch (err) {
      if (/no message found/i.test((err as Error).message)) return { kind: "not_found" };
      throw err;
    }
  }

  /** Stops taking messages and waits for those in progress to be stored and acked. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.msgs?.stop();
    if (this.inflight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.loop;
  }
}
