// Prometheus metrics of the contract (§3, router half) on a registry per router instance, so several
// routers in one test process do not collide. Label values are bounded: outcomes are a fixed set,
// providers come from the policy config, intake codes from the contract.
import client from "prom-client";
import { registerCgroupCpuMetrics } from "../../common/cgroup-cpu";
import { INTAKE_CODES } from "../../common/contract";
import type { BreakerState } from "./breaker";

export type Outcome =
  "success" | "fallback" | "cached" | "rejected" | "failed" | "error" | "fault" | "dropped";

/** Bounds of router_intake_decision_latency_seconds; the durable-intake SLO threshold (60 s) is one. */
export const INTAKE_DECISION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300] as const;
const TERMINATED_SECONDS = 1e9;

export class RouterMetrics {
  readonly registry = new client.Registry();
  private readonly decisions: client.Counter<"outcome" | "provider">;
  private readonly duration: client.Histogram;
  private readonly intakeErrors: client.Counter<"code">;
  readonly pending: client.Gauge;
  readonly backpressureActive: client.Gauge;
  readonly natsStatus: client.Gauge;
  private readonly breakerOpen: client.Gauge<"provider">;
  private readonly intakeLatency: client.Histogram;
  private readonly replays: client.Counter<"result" | "origin">;
  private readonly replayChildren = new Map<string, client.Counter.Internal>();
  readonly idempotencyStoreErrors: client.Counter;
  // Pre-bound children: the hot path does not hash label objects per request.
  private readonly decisionChildren = new Map<string, client.Counter.Internal>();

  constructor(providers: string[]) {
    const registers = [this.registry];
    this.decisions = new client.Counter({
      name: "router_decisions_total",
      help: "Decide requests answered, by outcome and chosen provider (none when no provider)",
      labelNames: ["outcome", "provider"],
      registers,
    });
    this.duration = new client.Histogram({
      name: "router_decision_duration_seconds",
      help: "Time from receiving a decide request to replying",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.intakeErrors = new client.Counter({
      name: "router_intake_errors_total",
      help: "Requests rejected by intake validation, by intake code",
      labelNames: ["code"],
      registers,
    });
    this.pending = new client.Gauge({
      name: "router_jetstream_pending",
      help: "Messages in the durable intake not yet delivered to the router consumer",
      registers,
    });
    this.backpressureActive = new client.Gauge({
      name: "router_backpressure_active",
      help: "1 while the router signals backpressure status active",
      registers,
    });
    this.natsStatus = new client.Gauge({
      name: "router_nats_connection_status",
      help: "1 while connected to NATS, 0 otherwise",
      registers,
    });
    this.breakerOpen = new client.Gauge({
      name: "router_circuit_breaker_open",
      help: "1 while the provider's circuit breaker is open (0.5 half-open, 0 closed)",
      labelNames: ["provider"],
      registers,
    });
    this.intakeLatency = new client.Histogram({
      name: "router_intake_decision_latency_seconds",
      help: "Durable intake: JetStream acceptance to decision stored and acked (+Inf when a message is terminated)",
      buckets: [...INTAKE_DECISION_BUCKETS],
      registers,
    });
    this.replays = new client.Counter({
      name: "router_idempotency_replays_total",
      help:
        "Decides answered from an idempotency record: result same (the first decision again) or violation " +
        "(different content); origin self (this router wrote the record) or other (another router did)",
      labelNames: ["result", "origin"],
      registers,
    });
    for (const result of ["same", "violation"] as const) {
      for (const origin of ["self", "other"] as const) {
        const c = this.replays.labels(result, origin);
        c.inc(0);
        this.replayChildren.set(`${result}\u0000${origin}`, c);
      }
    }
    this.idempotencyStoreErrors = new client.Counter({
      name: "router_idempotency_store_errors_total",
      help: "Decides refused with extension_unavailable because the shared idempotency store could not answer",
      registers,
    });
    for (const p of providers) this.breakerOpen.set({ provider: p }, 0);
    for (const code of Object.keys(INTAKE_CODES)) this.intakeErrors.inc({ code }, 0);
    client.collectDefaultMetrics({ register: this.registry });
    registerCgroupCpuMetrics(this.registry);
  }

  decision(outcome: Outcome, provider: string, seconds: number): void {
    const key = `${outcome}\u0000${provider}`;
    let c = this.decisionChildren.get(key);
    if (!c) {
      c = this.decisions.labels(outcome, provider);
      this.decisionChildren.set(key, c);
    }
    c.inc();
    this.duration.observe(seconds);
  }

  replay(result: "same" | "violation", origin: "self" | "other"): void {
    this.replayChildren.get(`${result}\u0000${origin}`)?.inc();
  }

  /** A durable message settled: decided after `seconds`, or given up on (`undefined`). */
  intakeSettled(seconds: number | undefined): void {
    // A terminated message lands above every bucket, so the durable-intake SLO counts it as bad.
    this.intakeLatency.observe(seconds === undefined ? TERMINATED_SECONDS : Math.max(0, seconds));
  }

  intakeError(code: string): void {
    this.intakeErrors.inc({ code });
  }

  breaker(provider: string, state: BreakerState): void {
    this.breakerOpen.set({ provider }, state === "open" ? 1 : state === "half_open" ? 0.5 : 0);
  }
}
