// Open-model load on both gateway paths during an experiment, on the validation engineer's fixed-rate
// driver (tooling/open-model.ts). Each run lasts until stop(): the driver is planned for a long time
// and aborted once every send planned before the stop moment has completed, so no request is cut off
// artificially (an aborted in-flight request would show up as a spurious "unknown").
import { runOpenModel, RequestRecord as OpenRecord, Outcome } from "../tooling/open-model";
import type { Path, RequestRecord } from "./measures";
import { GATEWAY_ROUTES } from "../services/common/service-contract";

export interface LoadOptions {
  gatewayUrl: string;
  runId: string;
  syncRps: number;
  durableRps: number;
  tenant?: string;
  /** The tenant's bearer token when the gateway requires one (the stack's tenantTokens output). */
  token?: string;
  timeoutMs?: number;
}

export interface RunningLoad {
  records: RequestRecord[];
  /** Ends both runs; resolves when every request planned before now has an outcome. */
  stop(): Promise<void>;
}

/** Durable path: 202 accepted; 503 = explicitly not accepted (contract); other 5xx may have been stored. */
export function classifyDurable(status: number): Outcome {
  if (status === 202) return "ok";
  if (status >= 400 && status < 500) return "fail";
  if (status === 503) return "fail";
  return "unknown";
}

export function classifySync(status: number): Outcome {
  return status === 200 ? "ok" : "fail";
}

export function messageIdFor(runId: string, i: number): string {
  return `${runId}-m${i}`;
}

function body(runId: string, path: Path, i: number, tenant: string): string {
  const id = path === "durable" ? messageIdFor(runId, i) : `${runId}-s${i}`;
  return JSON.stringify({
    version: "1",
    tenant_id: tenant,
    request_id: id,
    message_id: path === "durable" ? id : undefined,
    task: { type: "text.generate", payload: { prompt: "chaos" } },
  });
}

export function startLoad(o: LoadOptions): RunningLoad {
  const tenant = o.tenant ?? "chaos";
  const records: RequestRecord[] = [];
  const runs = (["sync", "durable"] as Path[]).map((path) => {
    const rate = path === "sync" ? o.syncRps : o.durableRps;
    const ac = new AbortController();
    const seen = new Set<number>();
    let start: number | undefined;
    let cutoff = Infinity;
    const onRecord = (r: OpenRecord) => {
      if (start === undefined) start = r.intendedAt - (r.id * 1000) / rate;
      if (r.id >= cutoff) return;
      seen.add(r.id);
      const rec: RequestRecord = {
        path,
        intendedAt: r.intendedAt,
        sentAt: r.sentAt,
        doneAt: r.doneAt,
        status: r.status || undefined,
        outcome: r.outcome,
        error: r.error,
      };
      if (r.status && r.status !== 202 && r.body) {
        // The error envelope's code says why (e.g. unavailable vs timeout) for the ledger's causes.
        try {
          rec.error =
            (JSON.parse(r.body) as { error?: { code?: string } }).error?.code ?? r.body.slice(0, 120);
        } catch {
          rec.error = r.body.slice(0, 120);
        }
      }
      if (path === "durable") {
        rec.messageId = r.tag as string;
        if (r.status === 202 && r.body) {
          try {
            const b = JSON.parse(r.body) as { stream_seq?: number; duplicate?: boolean };
            rec.streamSeq = b.stream_seq;
            rec.duplicate = b.duplicate;
          } catch {
            rec.error = "202 with a body that is not JSON";
          }
        }
      }
      records.push(rec);
    };
    const done = runOpenModel({
      url: o.gatewayUrl,
      schedule: { kind: "rate", rate },
      durationMs: 60 * 60 * 1000,
      timeoutMs: o.timeoutMs ?? 8000,
      maxInFlight: 2000,
      connections: 32,
      captureBody: true,
      signal: ac.signal,
      classify: path === "durable" ? classifyDurable : classifySync,
      request: (i) => ({
        path: path === "durable" ? GATEWAY_ROUTES.messages : GATEWAY_ROUTES.decide,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-tenant-id": tenant,
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        body: body(o.runId, path, i, tenant),
        tag: path === "durable" ? messageIdFor(o.runId, i) : undefined,
      }),
      onRecord,
    });
    const stop = async () => {
      const now = performance.timeOrigin + performance.now();
      const base = start ?? now;
      cutoff = Math.max(0, Math.floor(((now - base) * rate) / 1000) + 1);
      const deadline = Date.now() + (o.timeoutMs ?? 8000) + 2000;
      while (Date.now() < deadline && [...Array(cutoff).keys()].some((i) => !seen.has(i))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      ac.abort();
      await done;
    };
    return { stop };
  });
  return {
    records,
    stop: async () => {
      await Promise.all(runs.map((r) => r.stop()));
    },
  };
}
