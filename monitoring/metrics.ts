// Histogram bucket bounds of the service metrics (../shared/contract/README.md §3). SLO validation checks
// every latency threshold against these: a threshold that is not a bound would silently be measured at
// the next bound up. test/monitoring/slo.test.ts checks they equal the services' own bucket lists.
export const GATEWAY_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export const METRIC_BUCKETS: Record<string, readonly number[]> = {
  gateway_http_request_duration_seconds: GATEWAY_DURATION_BUCKETS,
};

/** services/router/src/metrics.ts router_decision_duration_seconds. */
export const ROUTER_DECISION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/**
 * Durable-intake latency (JetStream acceptance → decision stored and acked; a message terminated after
 * its last delivery is observed above every bucket). Exposed by services/router/src/metrics.ts.
 */
export const INTAKE_DECISION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300] as const;

METRIC_BUCKETS.router_decision_duration_seconds = ROUTER_DECISION_BUCKETS;
METRIC_BUCKETS.router_intake_decision_latency_seconds = INTAKE_DECISION_BUCKETS;
