export declare const GATEWAY_DURATION_BUCKETS: readonly [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export declare const METRIC_BUCKETS: Record<string, readonly number[]>;
/** services/router/src/metrics.ts router_decision_duration_seconds. */
export declare const ROUTER_DECISION_BUCKETS: readonly [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/**
 * Durable-intake latency (JetStream acceptance → decision stored and acked; a message terminated after
 * its last delivery is observed above every bucket). Exposed by services/router/src/metrics.ts.
 */
export declare const INTAKE_DECISION_BUCKETS: readonly [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300];
