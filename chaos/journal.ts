// The journal of one chaos run (JSON, one file per run): what was done, when, what was observed and
// which gates passed. The HTML report is rendered from it alone.
import type { Role } from "../stacks/outputs";
import type { InstanceTrend } from "../tooling/resources";
import type { TailVerdict } from "../tooling/tail-cause";
import type { DriverCapability } from "../tooling/drivers/types";
import type { LedgerReport } from "./ledger";
import type { AlertObservation, LatencyShift, RequestRecord } from "./measures";
import type { Experiment, Gate } from "./model";
import type { ProbeSample, ResolveWait } from "./observe";

export interface StepRecord {
  phase: "method" | "rollback";
  label: string;
  action: string;
  startedAt: number;
  endedAt: number;
  error?: string;
}

export interface GateResult {
  gate: Gate;
  pass: boolean;
  detail: string;
}

export interface Measures {
  baselineP99Ms: Record<"sync" | "durable", number | undefined>;
  faultStart?: number;
  faultEnd?: number;
  /** ms from fault end; undefined = not recovered within the observation. */
  timeToRecoverMs?: number;
  timeToRecoverByPath: Record<"sync" | "durable", number | undefined>;
  firstSuccessAfterFaultMs: Record<"sync" | "durable", number | undefined>;
  errorWindowMs: number;
  blastRadius: { failed: number; unknown: number; total: number; share: number };
  /**
   * ms from the fault start to the first poll that saw the instance firing, per alert instance (display
   * key `Name{label="…"}`) whose own transition to pending (Prometheus `activeAt`) came at or after the
   * fault start.
   */
  timeToDetectMs: Record<string, number>;
  /** Per path: latency and outcomes in the baseline and during the fault (the latency-as-latency gate). */
  faultLatency?: Record<"sync" | "durable", LatencyShift>;
}

export type ExperimentStatus = "passed" | "failed";

export interface ExperimentJournal {
  name: string;
  title: string;
  definition: Experiment;
  status: ExperimentStatus;
  /** Why it failed when it did not get as far as the gates (precondition, method error). */
  reasons: string[];
  /** Start of the load (after the resolve wait, which comes before it). */
  startedAt: number;
  endedAt: number;
  /** How long the runner waited for the expected alerts (definition.detects) to resolve before the baseline. */
  resolveWait?: ResolveWait;
  /** Load, probes and observation window end. */
  observedEnd?: number;
  steps: StepRecord[];
  probes: ProbeSample[];
  alerts: AlertObservation[];
  requests: RequestRecord[];
  /** CPU, throttling, event-loop delay and GC per instance (seconds since startedAt), and its source. */
  resources?: InstanceTrend[];
  resourceSource?: string;
  /** Which measured cause, if any, the slow p99 seconds coincide with. */
  tail?: TailVerdict;
  ledger?: LedgerReport;
  drain?: { ms: number; caughtUp: boolean };
  measures?: Measures;
  stateBefore?: Partial<Record<Role, boolean[]>>;
  stateAfter?: Partial<Record<Role, boolean[]>>;
  gates: GateResult[];
}

export interface RunJournal {
  runId: string;
  startedAt: string;
  endedAt?: string;
  stack: { target: string; stack: string; driver: string; capabilities: DriverCapability[] };
  /** Experiments requested but excluded from a suite because the stack cannot run them. */
  notApplicable: { name: string; problems: string[] }[];
  experiments: ExperimentJournal[];
  status: ExperimentStatus;
}
