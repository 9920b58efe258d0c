// Gate evaluation (pure): turns an experiment's measured facts into pass/fail lines with the numbers.
import type { Role } from "../stacks/outputs";
import type { GateResult, Measures } from "./journal";
import type { LedgerReport } from "./ledger";
import type { Gate } from "./model";

export interface GateFacts {
  measures: Measures;
  ledger?: LedgerReport;
  stateBefore: Partial<Record<Role, boolean[]>>;
  stateAfter: Partial<Record<Role, boolean[]>>;
  /** Rollback steps that threw (the declared state may not be restored). */
  rollbackErrors: string[];
}

const fmt = (ms: number | undefined) => (ms === undefined ? "never" : `${Math.round(ms)} ms`);

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
  }
}

export function evaluateGates(gates: Gate[], f: GateFacts): GateResult[] {
  return gates.map((g) => evaluateGate(g, f));
}
