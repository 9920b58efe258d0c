// The router's load signal on `beamline.router.v2.status.backpressure`: pending durable messages,
// decides in flight and the p95 decide latency of the last interval, each against a warning and an
// active threshold. The gateway turns "active" into 503 service_overloaded with Retry-After.
import type { BackpressureStatus } from "../../common/contract";

export interface BackpressureThresholds {
  pendingWarn: number;
  pendingActive: number;
  inflightWarn: number;
  inflightActive: number;
  latencyWarnMs: number;
  latencyActiveMs: number;
  retryAfterS: number;
}

export interface LoadSample {
  pending: number;
  inflight: number;
  latencyP95Ms: number;
  /** Fault injection may force a state. */
  forced?: BackpressureStatus["status"];
}

export function computeBackpressure(s: LoadSample, t: BackpressureThresholds): BackpressureStatus {
  let status: BackpressureStatus["status"] = "ok";
  if (s.pending >= t.pendingActive || s.inflight >= t.inflightActive || s.latencyP95Ms >= t.latencyActiveMs) {
    status = "active";
  } else if (
    s.pending >= t.pendingWarn ||
    s.inflight >= t.inflightWarn ||
    s.latencyP95Ms >= t.latencyWarnMs
  ) {
    status = "warning";
  }
  if (s.forced) status = s.forced;
  return {
    status,
    pending: s.pending,
    inflight: s.inflight,
    latency_p95_ms: Math.round(s.latencyP95Ms * 1000) / 1000,
    retry_after_s: status === "active" ? t.retryAfterS : 0,
  };
}

/**
 * Decide latencies of the current interval in a fixed ring (no allocation per sample); `p95AndReset`
 * is called once per interval.
 */
export class LatencyWindow {
  private readonly buf: Float64Array;
  private n = 0;

  constructor(capacity = 4096) {
    this.buf = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.buf[this.n % this.buf.length] = ms;
    this.n++;
  }

  p95AndReset(): number {
    const count = Math.min(this.n, this.buf.length);
    this.n = 0;
    if (count === 0) return 0;
    const sorted = this.buf.slice(0, count).sort();
    return sorted[Math.min(count - 1, Math.ceil(count * 0.95) - 1)];
  }
}
