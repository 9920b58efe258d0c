// The shared idempotency store on JetStream: KV bucket BEAMLINE_IDEMPOTENCY (history 1, max age = the
// router's ROUTER_IDEMPOTENCY_TTL_MS, ROUTER_JETSTREAM_REPLICAS replicas), created by whichever router
// starts first. Reads go to the stream leader (no direct get), so the read that follows a lost create
// race sees the record the leader refused to overwrite. A bucket that disappears (NATS back without its
// store) is re-created on the next use.
import type { JetStreamClient, KV, NatsConnection, NatsError } from "nats";
import { IDEMPOTENCY_BUCKET } from "../../common/contract";
import type { Logger } from "../../common/log";
import type { RecordStore } from "./idempotency";

const STREAM = `KV_${IDEMPOTENCY_BUCKET}`;
/** JetStream's "wrong last sequence": the create found the key already there. */
const WRONG_LAST_SEQUENCE = 10071;

export interface IdempotencyKvOptions {
  ttlMs: number;
  replicas: number;
  /** Bound of every JetStream call (set-up, create, get). */
  timeoutMs: number;
}

function apiErrCode(e: unknown): number | undefined {
  return (e as NatsError | undefined)?.api_error?.err_code;
}

function exists(e: unknown): boolean {
  return apiErrCode(e) === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test((e as Error)?.message ?? "");
}

/** The bucket's stream is gone: nothing answers on its subjects (503) or the stream is unknown. */
function gone(e: unknown): boolean {
  const err = e as NatsError | undefined;
  return err?.code === "503" || /stream not found/i.test(err?.message ?? "");
}

export class IdempotencyKv implements RecordStore {
  private kv?: KV;
  private setting?: Promise<KV>;
  private readonly js: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: IdempotencyKvOptions,
    private readonly log: Logger,
    /** Called after each set-up with the bucket's real max age (0 = unlimited). */
    private readonly onReady: (maxAgeMs: number) => void = () => undefined,
  ) {
    this.js = nc.jetstream({ timeout: opts.timeoutMs });
  }

  get ready(): boolean {
    return !!this.kv;
  }

  /** Binds to the bucket, creating it first when it does not exist (one set-up at a time). */
  ensure(): Promise<KV> {
    if (this.kv) return Promise.resolve(this.kv);
    this.setting ??= this.setup().finally(() => (this.setting = undefined));
    return this.setting;
  }

  private async setup(): Promise<KV> {
    const { ttlMs, replicas, timeoutMs } = this.opts;
    const jsm = await this.nc.jetstreamManager({ timeout: timeoutMs });
    const info = async () =>
      jsm.streams.info(STREAM).catch((e: unknown) => {
        if (gone(e)) return undefined;
        throw e;
      });
    let si = await info();
    if (!si) {
      try {
        await this.js.views.kv(IDEMPOTENCY_BUCKET, {
          history: 1,
          ttl: ttlMs,
          replicas,
          allow_direct: false,
          timeout: timeoutMs,
        });
      } catch (e) {
        // Lost a creation race with another router (fine if the bucket exists now).
        this.log.debug("idempotency bucket create failed; checking whether another router made it", {
          err: e,
        });
      }
      si = await info();
      if (!si) throw new Error(`idempotency bucket ${IDEMPOTENCY_BUCKET} could not be created`);
    }
    const maxAgeMs = Math.round(Number(si.config.max_age ?? 0) / 1e6);
    if (maxAgeMs !== ttlMs) {
      this.log.warn("idempotency bucket keeps records for a different time than ROUTER_IDEMPOTENCY_TTL_MS", {
        bucket: IDEMPOTENCY_BUCKET,
        bucket_max_age_ms: maxAgeMs,
        ttl_ms: ttlMs,
      });
    }
    // Bind as it is (settings may predate a config change). Without allow_direct, gets are answered
    // by the stream leader.
    const kv = await this.js.views.kv(IDEMPOTENCY_BUCKET, { bindOnly: true, timeout: timeoutMs });
    this.kv = kv;
    this.onReady(maxAgeMs);
    this.log.info("idempotency store ready", { bucket: IDEMPOTENCY_BUCKET, max_age_ms: maxAgeMs, replicas });
    return kv;
  }

  /** Runs `op` on the bucket; when the bucket turns out to be gone, re-creates it and tries once more. */
  private async withBucket<T>(op: (kv: KV) => Promise<T>): Promise<T> {
    const kv = this.kv ?? (await this.ensure());
    try {
      return await op(kv);
    } catch (e) {
      if (!gone(e)) throw e;
      if (this.kv === kv) {
        this.log.warn("idempotency bucket unavailable; re-creating it", { err: e });
        this.kv = undefined;
      }
      return op(await this.ensure());
    }
  }

  async create(key: string, value: Uint8Array): Promise<boolean> {
    return this.withBucket(async (kv) => {
      try {
        await kv.create(key, value);
        return true;
      } catch (e) {
        if (exists(e)) return false;
        throw e;
      }
    });
  }

  async get(key: string): Promise<{ value: Uint8Array; createdMs: number } | null> {
    return this.withBucket(async (kv) => {
      const e = await kv.get(key);
      return e && e.operation === "PUT" ? { value: e.value, createdMs: e.created.getTime() } : null;
    });
  }
}
