// Gate evaluation (pure): turns an experiment's measured facts into pass/fail lines with the numbers.
import type { Role } from "../stacks/outputs";
import type { GateResult, Measures } from "./journal";
import type { LedgerReport } from "./ledger";
import { alertKey, alertNameOfKey, latencyAsLatency, type AlertObservation } from "./measures";
import type { Gate } from "./model";
import { unresolvedMessage, type ResolveWait } from "./observe";

export interface GateFacts {
  measures: Measures;
  ledger?: LedgerReport;
  stateBefore: Partial<Record<Role, boolean[]>>;
  stateAfter: Partial<Record<Role, boolean[]>>;
  /** Rollback steps that threw (the declared state may not be restored). */
  rollbackErrors: string[];
  /** Alert instances observed (detected-within explains a miss from them). */
  alerts?: AlertObservation[];
  /** The wait for the expected alerts to resolve before the baseline. */
  resolveWait?: ResolveWait;
}

const fmt = (ms: number | undefined) => (ms === undefined ? "never" : `${Math.round(ms)} ms`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** detected-within: the earliest detection of an instance of the alert, or why there was none. */
function detectedWithin(g: Extract<Gate, { kind: "detected-within" }>, f: GateFacts): GateResult {
  const w = f.resolveWait;
  if (w && w.alerts.includes(g.alert) && !w.resolved)
    return { gate: g, pass: false, detail: unresolvedMessage(w) };
  const hits = Object.entries(f.measures.timeToDetectMs)
    .filter(([k]) => alertNameOfKey(k) === g.alert)
    .sort((a, b) => a[1] - b[1]);
  if (hits.length) {
    const [key, t] = hits[0];
    return {
      gate: g,
      pass: t <= g.ms,
      detail: `${key} firing ${secs(t)} after the fault started (bound ${secs(g.ms)})`,
    };
  }
  const start = f.measures.faultStart;
  const seen = (f.alerts ?? []).filter((a) => a.name === g.alert);
  const why = seen.length
    ? seen
        .map((a) => {
          const rel = (t: number) => (start === undefined ? "" : ` ${secs(t - start)} after the fault start`);
          if (a.activeAt !== undefined && start !== undefined && a.activeAt < start)
            return `${alertKey(a)} was already active before the fault (since${rel(a.activeAt)})`;
          if (a.firstFiringAt === undefined)
            return `${alertKey(a)} went pending${a.activeAt === undefined ? "" : rel(a.activeAt)} but never fired`;
          return `${alertKey(a)} was already firing before the fault`;
        })
        .join("; ")
    : `no instance of ${g.alert} went pending or firing`;
  return { gate: g, pass: false, detail: `${g.alert} not detected: ${why} (bound ${secs(g.ms)})` };
}

export function evaluateGate(g: Gate, f: GateFacts): GateResult {
  switch (g.kind) {
    case "zero-loss": {
      const l = f.ledger;
      if (!l) return { gate: g, pass: false, detail: "no ledger (durable path not drained)" };
      return {
        gate: g,
        pass: l.ok,
        detail: `acked ${l.acked}, lost ${l.lost.length}, unexpected ${l.unexpected.length}, duplicated ${l.duplicated.length}, recovered ${l.recovered.length}, unknown ${l.unknown.length}`,
      };
    }
    case "recovery-within": {
      const t = f.measures.timeToRecoverMs;
      return {
        gate: g,
        pass: t !== undefined && t <= g.ms,
        detail: `recovered after ${fmt(t)} (bound ${g.ms} ms)`,
      };
    }
    case "first-success-within": {
      const t = f.measures.firstSuccessAfterFaultMs[g.path];
      return {
        gate: g,
        pass: t !== undefined && t <= g.ms,
        detail: `first ${g.path} success ${fmt(t)} after the fault ended (bound ${g.ms} ms)`,
      };
    }
    case "no-crashed-service": {
      // Only instances that ran before the experiment: a one-shot job (the validation container) has
      // exited by design and is not a crashed service.
      const down = Object.entries(f.stateAfter).flatMap(([role, st]) =>
        (st ?? [])
          .map((r, i) => (r || f.stateBefore[role as Role]?.[i] === false ? undefined : `${role}[${i}]`))
          .filter(Boolean),
      );
      return {
        gate: g,
        pass: down.length === 0,
        detail: down.length ? `not running: ${down.join(", ")}` : "every instance that ran before still runs",
      };
    }
    case "declared-state": {
      const diffs: string[] = [];
      for (const [role, before] of Object.entries(f.stateBefore)) {
        const after = f.stateAfter[role as Role] ?? [];
        if (JSON.stringify(before) !== JSON.stringify(after))
          diffs.push(`${role}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
      }
      diffs.push(...f.rollbackErrors.map((e) => `rollback failed: ${e}`));
      return {
        gate: g,
        pass: diffs.length === 0,
        detail: diffs.length ? diffs.join("; ") : "instances as before, every rollback ran",
      };
    }
    case "blast-radius-at-most": {
      const b = f.measures.blastRadius;
      return {
        gate: g,
        pass: b.share <= g.share,
        detail: `${b.failed + b.unknown}/${b.total} requests failed or unknown (${(b.share * 100).toFixed(1)} %, bound ${(g.share * 100).toFixed(1)} %)`,
      };
    }
    case "detected-within":
      return detectedWithin(g, f);
    case "latency-as-latency": {
      const s = f.measures.faultLatency?.[g.path];
      if (!s) return { gate: g, pass: false, detail: `no ${g.path} latency measured for the fault` };
      const v = latencyAsLatency(s, g.minAddedMs);
      return { gate: g, pass: v.pass, detail: `${g.path}: ${v.detail}` };
    }
  }
}

export function evaluateGates(gates: Gate[], f: GateFacts): GateResult[] {
  return gates.map((g) => evaluateGate(g, f));
}
