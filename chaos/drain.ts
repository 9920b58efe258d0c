// The drain behind the ledger: reads GET /api/v1/routes/decide/{id} for every durable message id until
// each accepted one is decided or the time limit passes. Ids the client never saw accepted are read
// again once the accepted ones are caught up, so a late write of an "unknown" request is still found.
import type { DurableAttempt, FinalRead } from "./ledger";

export interface DrainOptions {
  gatewayUrl: string;
  tenant?: string;
  /** The tenant's bearer token when the gateway requires one. */
  token?: string;
  timeLimitMs: number;
  concurrency?: number;
}

async function readOne(url: string, tenant: string, token?: string): Promise<FinalRead> {
  try {
    const headers: Record<string, string> = { "x-tenant-id": tenant };
    if (token) headers.authorization = `Bearer ${token}`;
    let res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    // The drain reads as fast as it can; a per-tenant rate limit answers 429 with Retry-After: wait as
    // told and read again (a few times), instead of recording the id as unreadable.
    for (let i = 0; res.status === 429 && i < 5; i++) {
      await res.body?.cancel();
      const wait = Math.min(5, Math.max(0.1, Number(res.headers.get("retry-after")) || 1));
      await new Promise((r) => setTimeout(r, wait * 1000));
      res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    }
    const text = await res.text();
    if (res.status === 200) {
      let deliveries: number | undefined;
      try {
        const b = JSON.parse(text) as {
          deliveries?: number;
          delivery_count?: number;
          decision?: { deliveries?: number };
        };
        deliveries = b.deliveries ?? b.delivery_count ?? b.decision?.deliveries;
      } catch {
        // a decision body that is not JSON still counts as decided
      }
      return { state: "decided", deliveries };
    }
    if (res.status === 202) return { state: "pending" };
    if (res.status === 404) return { state: "not_found" };
    return { state: "unreadable", detail: `HTTP ${res.status} ${text.slice(0, 160)}` };
  } catch (e) {
    return { state: "unreadable", detail: (e as Error).message };
  }
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

export async function drain(
  attempts: DurableAttempt[],
  o: DrainOptions,
): Promise<{ finals: Map<string, FinalRead>; ms: number; caughtUp: boolean }> {
  const t0 = Date.now();
  const tenant = o.tenant ?? "chaos";
  const finals = new Map<string, FinalRead>();
  const acked = new Set(attempts.filter((a) => a.outcome === "ok").map((a) => a.messageId));
  const all = [...new Set(attempts.map((a) => a.messageId))];
  const read = (id: string) =>
    readOne(`${o.gatewayUrl}/api/v1/routes/decide/${encodeURIComponent(id)}`, tenant, o.token);
  let caughtUp = false;
  for (;;) {
    const open = all.filter((id) => finals.get(id)?.state !== "decided");
    await pool(open, o.concurrency ?? 16, async (id) => void finals.set(id, await read(id)));
    if ([...acked].every((id) => finals.get(id)?.state === "decided")) {
      caughtUp = true;
      break;
    }
    if (Date.now() - t0 > o.timeLimitMs) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (caughtUp) {
    // The accepted ones are all decided, so the consumer has caught up; one more pass over the rest
    // settles anything that was stored without the client learning it.
    // Pending ones among them (stored, not yet decided) get the rest of the time limit.
    let rest = all.filter((id) => finals.get(id)?.state !== "decided");
    while (rest.length > 0) {
      await pool(rest, o.concurrency ?? 16, async (id) => void finals.set(id, await read(id)));
      rest = rest.filter((id) => finals.get(id)?.state === "pending");
      if (rest.length === 0 || Date.now() - t0 > o.timeLimitMs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { finals, ms: Date.now() - t0, caughtUp };
}
