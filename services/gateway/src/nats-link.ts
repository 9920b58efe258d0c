// The gateway's one long-lived NATS connection and what it knows about it: whether it is up (so
// requests fail fast with 503 instead of waiting for a timeout), the router's backpressure signal, and
// the intake stream. Requests in flight when the link drops are failed at once: Disconnected when they
// never left, SentThenDisconnected (outcome unknown) when they did.
import { createInbox, ErrorCode, JSONCodec, Msg, MsgHdrs, NatsConnection, NatsError, PubAck } from "nats";
import { BackpressureStatus, SUBJECTS } from "../../common/contract";
import { ensureIntakeStream } from "../../common/intake";
import type { Logger } from "../../common/log";
import { connectNats, NatsSettings } from "../../common/nats";
import type { GatewayMetrics } from "./metrics";

/** A backpressure signal older than this is considered cleared (the router publishes every second). */
const BACKPRESSURE_STALE_MS = 5000;

export class Disconnected extends Error {
  constructor() {
    super("NATS connection lost");
  }
}

/**
 * The link dropped after the message was handed to the connection: it may still reach the server (the
 * client flushes its buffer on reconnect) or may already have. The outcome is unknown, unlike a
 * Disconnected before sending, which guarantees nothing was sent.
 */
export class SentThenDisconnected extends Disconnected {
  constructor() {
    super();
    this.message = "NATS connection lost after the message was sent";
  }
}

interface JsApiError {
  code?: number;
  description?: string;
}

/** A request waiting for its reply on the link's reply subscription. */
interface PendingReply {
  resolve(m: Msg): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  /** Handed to the connection (so it may be delivered even if the link drops now). */
  sent?: boolean;
}

export class NatsLink {
  connected = false;
  reconnects = 0;
  streamReady = false;
  private bp: { status: BackpressureStatus["status"]; retryAfterS: number; at: number } | undefined;
  private ensuring: Promise<void> | undefined;
  private closed = false;
  // Requests use one wildcard reply subscription owned by the link instead of nc.request: nats.js
  // builds per request a RequestOne, two deferreds, a Promise.race, a timer promise and (on success)
  // a "cancelled" NatsError, and the link wrapped that in two more promises for the disconnect race
  // and the batching. Here a request is one Promise, one timer and one Map entry.
  private readonly replyPrefix: string;
  private readonly replies = new Map<string, PendingReply>();
  private replySeq = 0;

  private constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {
    this.replyPrefix = `${createInbox()}.`;
    const skip = this.replyPrefix.length;
    nc.subscribe(`${this.replyPrefix}*`, {
      callback: (err, msg) => {
        if (err) return; // a subscription error leaves the requests to their timeouts
        const token = msg.subject.slice(skip);
        const p = this.replies.get(token);
        if (!p) return; // late reply after timeout or disconnect
        this.replies.delete(token);
        clearTimeout(p.timer);
        // Same rule as nats.js: an empty 503 status message means nobody is subscribed.
        if (msg.data.length === 0 && msg.headers?.code === 503) {
          p.reject(NatsError.errorForCode(ErrorCode.NoResponders));
        } else p.resolve(msg);
      },
    });
  }

  static async open(settings: NatsSettings, log: Logger, metrics: GatewayMetrics): Promise<NatsLink> {
    // No async stack traces: nats.js would otherwise build two Error objects per request (~7% of the
    // gateway's CPU in the bench profile); NATS errors here are mapped to statuses, not debugged by stack.
    const nc = await connectNats(settings, "beamline-gateway", log, { noAsyncTraces: true });
    const link = new NatsLink(nc, log, metrics);
    link.setConnected(true);
    link.watchStatus();
    link.watchBackpressure();
    void link.ensureStream();
    return link;
  }

  private setConnected(up: boolean): void {
    this.connected = up;
    this.metrics.natsConnected.set(up ? 1 : 0);
    if (!up) {
      const err = new Disconnected();
      for (const p of this.replies.values()) {
        clearTimeout(p.timer);
        p.reject(p.sent ? new SentThenDisconnected() : err);
      }
      this.replies.clear();
    }
  }

  private watchStatus(): void {
    (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === "disconnect") this.setConnected(false);
        else if (s.type === "reconnect") {
          this.reconnects++;
          this.metrics.reconnects.inc();
          this.setConnected(true);
          // The server may have lost its store (or be a fresh one): make sure the stream exists again.
          this.streamReady = false;
          void this.ensureStream();
        }
      }
    })().catch(() => undefined);
    this.nc.closed().then(() => this.setConnected(false));
  }

  private watchBackpressure(): void {
    const jc = JSONCodec<BackpressureStatus>();
    this.nc.subscribe(SUBJECTS.backpressure, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const s = jc.decode(msg.data);
          if (s.status !== "ok" && s.status !== "warning" && s.status !== "active") return;
          const wasActive = this.backpressureActive() !== undefined;
          this.bp = { status: s.status, retryAfterS: Number(s.retry_after_s) || 1, at: Date.now() };
          const active = s.status === "active";
          this.metrics.backpressure.set(active ? 1 : 0);
          if (active !== wasActive) this.log.info("router backpressure", { status: s.status });
        } catch {
          // A malformed status is ignored; the last good one stands until it goes stale.
        }
      },
    });
  }

  /** Retry-After seconds while the router signals `active` backpressure, else undefined. */
  backpressureActive(): number | undefined {
    const bp = this.bp;
    if (!bp || bp.status !== "active") return undefined;
    if (Date.now() - bp.at > BACKPRESSURE_STALE_MS) {
      this.metrics.backpressure.set(0);
      return undefined;
    }
    return Math.max(1, Math.ceil(bp.retryAfterS));
  }

  /** Creates the intake stream, retrying until it works (JetStream may be unreachable at start). */
  ensureStream(): Promise<void> {
    if (this.ensuring) return this.ensuring;
    this.ensuring = (async () => {
      let delay = 200;
      while (!this.closed && !this.streamReady) {
        try {
          await ensureIntakeStream(await this.nc.jetstreamManager({ timeout: 3000 }));
          this.streamReady = true;
        } catch (e) {
          this.log.warn("intake stream not ready", { err: e as Error });
          await new Promise((r) => setTimeout(r, delay).unref());
          delay = Math.min(delay * 2, 5000);
        }
      }
    })().finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  /** JetStream reachable: a cheap account-info round trip. */
  async jetstreamReachable(timeoutMs = 1000): Promise<boolean> {
    if (!this.connected) return false;
    try {
      const jsm = await this.nc.jetstreamManager({ timeout: timeoutMs });
      await jsm.getAccountInfo();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Request-reply over the link's reply subscription: rejects with a nats.js Timeout / NoResponders
   * NatsError like nc.request, and with Disconnected at once when the link drops.
   */
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    if (!this.connected) return Promise.reject(new Disconnected());
    return new Promise<Msg>((resolve, reject) => {
      const token = String(++this.replySeq);
      const timer = setTimeout(() => {
        if (this.replies.delete(token)) reject(NatsError.errorForCode(ErrorCode.Timeout));
      }, timeoutMs);
      const pending: PendingReply = { resolve, reject, timer };
      this.replies.set(token, pending);
      this.enqueue(() => {
        if (!this.replies.has(token)) return; // already failed (link dropped before the batch ran)
        if (!this.connected) {
          // Never hand a message to a disconnected client: it would buffer it and send it on reconnect,
          // after we answered that it was not accepted.
          this.replies.delete(token);
          clearTimeout(timer);
          reject(new Disconnected());
          return;
        }
        try {
          this.nc.publish(subject, data, { reply: this.replyPrefix + token, headers });
          pending.sent = true;
        } catch (e) {
          this.replies.delete(token);
          clearTimeout(timer);
          reject(e as Error);
        }
      });
    });
  }

  /**
   * JetStream publish with ack over the same reply subscription (js.publish is an nc.request plus the
   * ack parse below): the Nats-Msg-Id header carries `msgId` for the stream's duplicate window, and a
   * JetStream error reply becomes a NatsError with the server's description, as in nats.js.
   */
  async jsPublish(
    subject: string,
    data: Uint8Array,
    msgId: string,
    timeoutMs: number,
    headers: MsgHdrs,
  ): Promise<PubAck> {
    headers.set("Nats-Msg-Id", msgId);
    const m = await this.request(subject, data, timeoutMs, headers);
    let r: { stream?: string; seq?: number; duplicate?: boolean; domain?: string; error?: JsApiError };
    try {
      r = JSON.parse(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString("utf8"));
    } catch {
      throw NatsError.errorForCode(ErrorCode.BadJson);
    }
    if (r.error) {
      const code = Number(r.error.code);
      if (code === 503) throw NatsError.errorForCode(ErrorCode.JetStreamNotEnabled);
      throw new NatsError(String(r.error.description ?? "").toLowerCase() || ErrorCode.Unknown, String(code));
    }
    if (!r.stream) throw NatsError.errorForCode(ErrorCode.JetStreamInvalidAck);
    return { stream: r.stream, seq: Number(r.seq), duplicate: !!r.duplicate, domain: r.domain ?? "" };
  }

  // nats.js flushes its outbound buffer on the microtask after the first command, and node runs
  // microtasks after each HTTP request's callback: uncorked, every request costs its own write syscall
  // (and a wake-up of nats-server). Starting the operations of one event-loop turn together in a
  // setImmediate puts them in one buffer and one write.
  private batch: Array<() => void> = [];

  private readonly runBatch = () => {
    const b = this.batch;
    this.batch = [];
    for (const run of b) run();
  };

  private enqueue(run: () => void): void {
    if (this.batch.push(run) === 1) setImmediate(this.runBatch);
  }

  /** Requests and publishes waiting for a reply, an ack or the link dropping. */
  get pendingWaiters(): number {
    return this.replies.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

export function isNoResponders(e: unknown): boolean {
  return e instanceof NatsError && e.code === ErrorCode.NoResponders;
}

export function isTimeout(e: unknown): boolean {
  return (
    e instanceof NatsError &&
    (e.code === ErrorCode.Timeout || e.code === ErrorCode.JetStream408RequestTimeout)
  );
}
