// Gateway metrics: the Prometheus names from the contract (section 3) in a per-instance registry, plus
// the rolling numbers behind the /_metrics JSON summary. Labels are bounded: route templates (never raw
// paths), methods, statuses, outcomes, and tenants only from the configured allowlist.
import client from "prom-client";
import { registerCgroupCpuMetrics } from "../../common/cgroup-cpu";

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
const WINDOW_S = 10;
const LATENCY_SAMPLES = 2048;

export type NatsOutcome =
  | "ok"
  | "error_reply"
  | "timeout"
  | "no_responders"
  | "disconnected"
  | "bad_reply"
  | "js_ok"
  | "js_duplicate"
  | "js_error";

export class GatewayMetrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<"route" | "method" | "status">;
  private readonly duration: client.Histogram<"route" | "method">;
  private readonly nats: client.Counter<"outcome">;
  readonly natsConnected: client.Gauge;
  readonly reconnects: client.Counter;
  private readonly inflight: client.Gauge;
  /** Reads the gateway's in-flight count when Prometheus scrapes (see trackInflight). */
  private readInflight: () => number = () => 0;
  private readonly rateRejections: client.Counter<"tenant">;
  readonly backpressure: client.Gauge;
  private readonly tenants: Set<string>;
  // Label children cached: looking labels up per request is a measurable share of the hot path.
  private readonly children = new Map<
    string,
    {
      c: client.Counter.Internal;
      h: client.Histogram.Internal<"route" | "method">;
    }
  >();

  // Rolling window for /_metrics: per-second request and error counts, and recent latencies.
  private readonly secCounts = new Float64Array(WINDOW_S);
  private readonly secErrors = new Float64Array(WINDOW_S);
  private readonly secStamp = new Float64Array(WINDOW_S);
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latCount = 0;

  constructor(metricsTenants: string[]) {
    this.tenants = new Set(metricsTenants);
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    registerCgroupCpuMetrics(this.registry);
    this.requests = new client.Counter({
      name: "gateway_http_requests_total",
      help: "HTTP requests by route template, method and status",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.duration = new client.Histogram({
      name: "gateway_http_request_duration_seconds",
      help: "HTTP request duration by route template and method",
      labelNames: ["route", "method"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.nats = new client.Counter({
      name: "gateway_nats_requests_total",
      help: "NATS requests and JetStream publishes by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.natsConnected = new client.Gauge({
      name: "gateway_nats_connection_status",
      help: "1 when the gateway's NATS connection is up, else 0",
      registers,
    });
    this.reconnects = new client.Counter({
      name: "gateway_nats_reconnects_total",
      help: "NATS reconnects since start",
      registers,
    });
    const readInflight = () => this.readInflight();
    this.inflight = new client.Gauge({
      name: "gateway_inflight_requests",
      help: "API requests being processed",
      registers,
      // Read at scrape time: two Gauge.set calls per request showed up in the hot path's profile.
      collect() {
        this.set(readInflight());
      },
    });
    this.rateRejections = new client.Counter({
      name: "gateway_rate_limit_rejections_total",
      help: "Requests rejected by the per-tenant rate limit (tenant label only for allowlisted tenants)",
      labelNames: ["tenant"],
      registers,
    });
    this.backpressure = new client.Gauge({
      name: "gateway_backpressure_active",
      help: "1 while the router signals backpressure and decide requests are shed",
      registers,
    });
    this.natsConnected.set(0);
  }

  /** The gateway_inflight_requests gauge reports `read()` at each scrape. */
  trackInflight(read: () => number): void {
    this.readInflight = read;
  }

  tenantLabel(tenant: string | undefined): string {
    return tenant !== undefined && this.tenants.has(tenant) ? tenant : "other";
  }

  observe(route: string, method: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : "OTHER";
    const key = `${route}\u0000${m}\u0000${status}`;
    let ch = this.children.get(key);
    if (!ch) {
      ch = { c: this.requests.labels(route, m, String(status)), h: this.duration.labels(route, m) };
      this.children.set(key, ch);
    }
    ch.c.inc();
    ch.h.observe(seconds);
    const sec = Math.floor(Date.now() / 1000);
    const i = sec % WINDOW_S;
    if (this.secStamp[i] !== sec) {
      this.secStamp[i] = sec;
      this.secCounts[i] = 0;
      this.secErrors[i] = 0;
    }
    this.secCounts[i]++;
    if (status >= 500) this.secErrors[i]++;
    this.latencies[this.latCount++ % LATENCY_SAMPLES] = seconds * 1000;
  }

  private readonly outcomes = new Map<NatsOutcome, client.Counter.Internal>();
  natsOutcome(outcome: NatsOutcome): void {
    let c = this.outcomes.get(outcome);
    if (!c) this.outcomes.set(outcome, (c = this.nats.labels(outcome)));
    c.inc();
  }

  rateLimited(tenant: string): void {
    this.rateRejections.labels(this.tenantLabel(tenant)).inc();
  }

  /** The /_metrics summary over the last WINDOW_S complete seconds. */
  summary(): { rps: number; error_rate: number; latency_ms: { p50: number; p95: number; p99: number } } {
    const now = Math.floor(Date.now() / 1000);
    let n = 0;
    let errs = 0;
    for (let i = 0; i < WINDOW_S; i++) {
      const age = now - this.secStamp[i];
      if (age >= 1 && age <= WINDOW_S) {
        n += this.secCounts[i];
        errs += this.secErrors[i];
      }
    }
    const k = Math.min(this.latCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, k)).sort((a, b) => a - b);
    const q = (p: number) => (k ? Math.round(sorted[Math.min(k - 1, Math.floor(p * k))] * 1000) / 1000 : 0);
    return {
      rps: Math.round((n / WINDOW_S) * 10) / 10,
      error_rate: n ? Math.round((errs / n) * 10000) / 10000 : 0,
      latency_ms: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    };
  }
}
