// Jepsen-style accounting for the durable path. Every POST /api/v1/messages attempt is recorded with its
// outcome; after the experiment a drain reads every message id until decided (or a time limit). Pure:
// the drain I/O lives in drain.ts, this file only classifies.
//
//   acked (202)      + decided            → ok
//   acked (202)      + not decided        → LOST        (fails the experiment)
//   failed (definite)+ decided            → UNEXPECTED  (the gateway said "not accepted", yet it exists)
//   unknown outcome  + decided            → recovered   (the write happened; the client never learned)
//   unknown outcome  + not found          → unknown     (did not happen; nothing was promised)
//   unknown outcome  + stored, undecided  → LOST        (accepted by JetStream, never decided)
//   two stream sequences for one id, or a 202 "duplicate" on a first send → duplicated (cause given)

export type Outcome = "ok" | "fail" | "unknown";

export interface DurableAttempt {
  messageId: string;
  outcome: Outcome;
  status?: number;
  /** From the 202 body. */
  streamSeq?: number;
  duplicate?: boolean;
  /** Error code or body excerpt of a non-202 answer. */
  error?: string;
  /** Which attempt for this id (1 = first send). */
  attempt: number;
}

export type FinalState = "decided" | "pending" | "not_found" | "unreadable";

export interface FinalRead {
  state: FinalState;
  /** Why a read was unreadable (HTTP status or client error), for the lost reason. */
  detail?: string;
  /** Delivery count the router reports with the decision, when it does (redelivery → duplicate work). */
  deliveries?: number;
}

export interface Duplicate {
  messageId: string;
  streamSeqs: number[];
  cause: string;
}

export interface LedgerReport {
  attempted: number;
  acked: number;
  decided: number;
  lost: { messageId: string; reason: string }[];
  unexpected: { messageId: string; reason: string }[];
  recovered: string[];
  unknown: string[];
  duplicated: Duplicate[];
  /** Lost or unexpected is a failed experiment. */
  ok: boolean;
}

export function reconcile(attempts: DurableAttempt[], finals: Map<string, FinalRead>): LedgerReport {
  const byId = new Map<string, DurableAttempt[]>();
  for (const a of attempts) {
    const list = byId.get(a.messageId) ?? [];
    list.push(a);
    byId.set(a.messageId, list);
  }
  const r: LedgerReport = {
    attempted: byId.size,
    acked: 0,
    decided: 0,
    lost: [],
    unexpected: [],
    recovered: [],
    unknown: [],
    duplicated: [],
    ok: true,
  };
  for (const [id, list] of [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const fin = finals.get(id) ?? { state: "unreadable" as const };
    const acks = list.filter((a) => a.outcome === "ok");
    const unknowns = list.filter((a) => a.outcome === "unknown");
    if (fin.state === "decided") r.decided++;
    if (acks.length > 0) {
      r.acked++;
      if (fin.state !== "decided")
        r.lost.push({ messageId: id, reason: `acked with 202, final read: ${fin.state}` });
    } else if (unknowns.length > 0) {
      if (fin.state === "decided") r.recovered.push(id);
      else if (fin.state === "not_found") r.unknown.push(id);
      else
        r.lost.push({
          messageId: id,
          reason: `outcome unknown, final read: ${fin.state} (stored but never decided, or unreadable)`,
        });
    } else if (fin.state === "decided" || fin.state === "pending") {
      const f = list[list.length - 1];
      r.unexpected.push({
        messageId: id,
        reason: `client saw ${f.status ?? "no answer"}${f.error ? ` ${f.error}` : ""} (not accepted), final read: ${fin.state}`,
      });
    }
    const seqs = [...new Set(acks.map((a) => a.streamSeq).filter((s): s is number => s !== undefined))].sort(
      (a, b) => a - b,
    );
    const firstSendDup = acks.find((a) => a.duplicate && a.attempt === 1);
    if (seqs.length > 1) {
      r.duplicated.push({
        messageId: id,
        streamSeqs: seqs,
        cause: "stored twice: a retry landed outside the JetStream duplicate window",
      });
    } else if (firstSendDup && list.length === 1) {
      r.duplicated.push({
        messageId: id,
        streamSeqs: seqs,
        cause: "gateway answered duplicate:true to the only send: message id collision",
      });
    } else if ((fin.deliveries ?? 1) > 1) {
      r.duplicated.push({
        messageId: id,
        streamSeqs: seqs,
        cause: `decided after ${fin.deliveries} deliveries: JetStream redelivered after a missed ack (decision stored idempotently)`,
      });
    }
  }
  r.ok = r.lost.length === 0 && r.unexpected.length === 0;
  return r;
}
