// The gateway's one long-lived NATS connection and what it knows about it: whether it is up (so
// requests fail fast with 503 instead of waiting for a timeout), the router's backpressure signal, and
// the intake stream. Requests in flight when the link drops are failed at once with `unavailable`.
import { JetStreamClient, NatsConnection, NatsError, ErrorCode, Msg, MsgHdrs, JSONCodec, PubAck } from "nats";
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

export class NatsLink {
  connected = false;
  reconnects = 0;
  streamReady = false;
  private bp: { status: BackpressureStatus["status"]; retryAfterS: number; at: number } | undefined;
  private readonly waiters = new Set<(e: Error) => void>();
  private ensuring: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  static async open(settings: NatsSettings, log: Logger, metrics: GatewayMetrics): Promise<NatsLink> {
    // No async stack traces: nats.js would otherwise build two Error objects per request (~7% of the
    // gateway's CPU in the bench profile); NATS errors here are mapped to statuses, not debugged by stack.
    const nc = await connectNats(settings, "beamline-gateway", log, { noAsyncTraces: true });
    const link = new NatsLink(nc, nc.jetstream(), log, metrics);
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
      for (const fail of this.waiters) fail(err);
      this.waiters.clear();
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
   * Races `p` against the link dropping: a request in flight when NATS goes away is answered at once
   * with `unavailable` rather than after the full timeout.
   */
  guard<T>(p: Promise<T>): Promise<T> {
    if (!this.connected) {
      p.catch(() => undefined);
      return Promise.reject(new Disconnected());
    }
    let fail!: (e: Error) => void;
    const lost = new Promise<never>((_, reject) => (fail = reject));
    this.waiters.add(fail);
    return Promise.race([p, lost]).finally(() => this.waiters.delete(fail));
  }

  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    if (!this.connected) return Promise.reject(new Disconnected());
    return this.guard(this.corked(() => this.nc.request(subject, data, { timeout: timeoutMs, headers })));
  }

  /** Sends `start` with the other operations of this event-loop turn (see `corked`). */
  publishAck(start: () => Promise<PubAck>): Promise<PubAck> {
    return this.guard(this.corked(start));
  }

  // nats.js flushes its outbound buffer on the microtask after the first command, and node runs
  // microtasks after each HTTP request's callback: uncorked, every request costs its own write syscall
  // (and a wake-up of nats-server). Starting the operations of one event-loop turn together in a
  // setImmediate puts them in one buffer and one write.
  private batch: Array<() => void> = [];
  private corked<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.batch.push(() => start().then(resolve, reject)) === 1) {
        setImmediate(() => {
          const b = this.batch;
          this.batch = [];
          for (const run of b) run();
        });
      }
    });
  }

  get pendingWaiters(): number {
    return this.waiters.size;
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
