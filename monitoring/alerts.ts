// Infrastructure and service alerts. Each one has a runbook at monitoring/runbooks/<alert>.md.
import { SCRAPE_JOBS, SERVICE_JOBS } from "./jobs";
import { AlertingRule, RecordingRule, RuleGroup, RuleOptions, forDuration, runbookUrl } from "./rule-types";
import { promDurationSeconds, type Severity } from "./burn-rate";
import { natsAlertDefs } from "./nats-alerts";

/** One alerting rule as data (rendered by alertingRules); the NATS ones live in nats-alerts.ts. */
export interface AlertDef {
  alert: string;
  severity: Severity;
  expr: string;
  forSeconds: number;
  summary: string;
  description: string;
}

const services = `job=~"${SERVICE_JOBS.join("|")}"`;

/** Recording rule carrying the configured memory limit per service job (see MemoryNearLimit). */
export const MEMORY_LIMIT_RECORD = "beamline:memory_limit_bytes";

/** CpuThrottled's rate window in production (minutes); windowScale shrinks it for the live profile. */
const CPU_THROTTLE_WINDOW_MINUTES = 5;
/**
 * Floor of the scaled window: rate() needs two samples, and 4 s of 1 s scrapes hold four or five, so
 * one missed scrape does not blank the alert.
 */
const MIN_RATE_WINDOW_SECONDS = 4;

/** CpuThrottled's rate window, scaled like the SLO windows (5m × 1/60 = 5s), never below the floor. */
export function cpuThrottleWindow(opts: Pick<RuleOptions, "windowScale">): string {
  const seconds = Math.round(CPU_THROTTLE_WINDOW_MINUTES * 60 * opts.windowScale);
  return promDurationSeconds(Math.max(MIN_RATE_WINDOW_SECONDS, seconds));
}

/**
 * Share of CFS periods that ended throttled, from the services' own cgroup counters and from cAdvisor
 * (`image!=""` selects containers in standalone and kubelet cAdvisor alike). Periods elapse only while a
 * quota is set, so without one the denominator's rate is 0: `> 0` drops the series instead of
 * dividing 0 by 0, and NaN never compares above the threshold anyway.
 */
function cpuThrottledExpr(opts: RuleOptions): string {
  const w = cpuThrottleWindow(opts);
  const share = (throttled: string, periods: string) =>
    `(rate(${throttled}[${w}]) / (rate(${periods}[${w}]) > 0) > ${opts.cpuThrottledRatio})`;
  return (
    share(
      `process_cgroup_cpu_throttled_periods_total{${services}}`,
      `process_cgroup_cpu_periods_total{${services}}`,
    ) +
    ` or ${share('container_cpu_cfs_throttled_periods_total{image!=""}', 'container_cpu_cfs_periods_total{image!=""}')}`
  );
}

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

export function infraAlertDefs(opts: RuleOptions): AlertDef[] {
  return [
    {
      alert: "TargetDown",
      severity: "critical",
      expr: "up == 0",
      forSeconds: 60,
      summary: "Scrape target {{ $labels.job }}/{{ $labels.instance }} is down",
      description:
        "Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}): the process is down, hung or unreachable.",
    },
    {
      alert: "NatsUnreachable",
      severity: "critical",
      expr: `probe_success{job="${SCRAPE_JOBS.natsProbe}"} == 0`,
      forSeconds: 30,
      summary: "NATS at {{ $labels.instance }} is unreachable",
      description:
        "The blackbox HTTP probe of NATS /healthz ({{ $labels.instance }}) fails: the node is down or its JetStream is not ready, and gateway and router connected to it cannot exchange requests.",
    },
    {
      alert: "GatewayNatsDisconnected",
      severity: "critical",
      expr: `gateway_nats_connection_status{job="${SCRAPE_JOBS.gateway}"} == 0`,
      forSeconds: 30,
      summary: "Gateway {{ $labels.instance }} has no NATS connection",
      description:
        "gateway_nats_connection_status is 0 on {{ $labels.instance }}: decide requests answer 503 unavailable until it reconnects.",
    },
    {
      alert: "RouterNatsDisconnected",
      severity: "critical",
      expr: `router_nats_connection_status{job="${SCRAPE_JOBS.router}"} == 0`,
      forSeconds: 30,
      summary: "Router {{ $labels.instance }} has no NATS connection",
      description:
        "router_nats_connection_status is 0 on {{ $labels.instance }}: it receives no requests and no intake.",
    },
    {
      alert: "RouterBackpressureActive",
      severity: "warning",
      expr: `router_backpressure_active{job="${SCRAPE_JOBS.router}"} > 0`,
      forSeconds: 60,
      summary: "Router {{ $labels.instance }} signals backpressure",
      description:
        "The router has signalled backpressure for over a minute; the gateway answers 503 service_overloaded to part of the traffic.",
    },
    {
      alert: "JetStreamPendingHigh",
      severity: "warning",
      expr: `max by (job) (router_jetstream_pending{job="${SCRAPE_JOBS.router}"}) > ${opts.jetstreamPendingBound}`,
      forSeconds: 300,
      summary: "Durable intake backlog is {{ $value }} messages",
      description: `More than ${opts.jetstreamPendingBound} accepted messages wait for a decision on the router's durable consumer; the durable-intake SLO is at risk.`,
    },
    {
      alert: "CircuitBreakerOpen",
      severity: "warning",
      expr: `max by (job, provider) (router_circuit_breaker_open{job="${SCRAPE_JOBS.router}"}) >= 1`,
      // 0.5 is half-open (probing); only a fully open breaker alerts.
      forSeconds: 60,
      summary: "Circuit breaker for provider {{ $labels.provider }} is open",
      description:
        "The router skips provider {{ $labels.provider }}; decisions fall back to other providers and fail with decision_failed when none is left.",
    },
    {
      alert: "EventLoopLagHigh",
      severity: "warning",
      expr: `nodejs_eventloop_lag_p99_seconds{${services}} > ${opts.eventLoopLagSeconds}`,
      forSeconds: 300,
      summary:
        "Event-loop lag p99 of {{ $labels.job }}/{{ $labels.instance }} is {{ $value | humanizeDuration }}",
      description: `The Node.js event loop of {{ $labels.instance }} lags by more than ${opts.eventLoopLagSeconds} s at p99: every request on it waits that long.`,
    },
    {
      alert: "CpuThrottled",
      severity: "warning",
      expr: cpuThrottledExpr(opts),
      forSeconds: 600,
      summary:
        "CPU of {{ $labels.job }} {{ $labels.instance }} {{ $labels.name }}{{ $labels.container }} is throttled in {{ $value | humanizePercentage }} of its CFS periods",
      description: `More than ${percent(opts.cpuThrottledRatio)} of the CFS periods over ${cpuThrottleWindow(opts)} ended with the CPU quota spent: each time, every thread of the cgroup waits for the next period (up to 100 ms with the default period), latency that the process's own CPU time does not show.`,
    },
    {
      alert: "MemoryNearLimit",
      severity: "warning",
      // cAdvisor (when the platform exposes it) knows the real container limit; otherwise the resident
      // memory of the Node process is compared to the limit configured for its job. `image!=""` selects
      // containers in both standalone cAdvisor (labels name, image) and the kubelet's (container, image).
      expr:
        `(container_memory_working_set_bytes{image!=""} / (container_spec_memory_limit_bytes{image!=""} > 0) > ${opts.memoryLimitRatio})` +
        ` or (process_resident_memory_bytes{${services}} / on (job) group_left () ${MEMORY_LIMIT_RECORD} > ${opts.memoryLimitRatio})`,
      forSeconds: 300,
      summary:
        "Memory of {{ $labels.job }} {{ $labels.instance }} {{ $labels.name }}{{ $labels.container }} is at {{ $value | humanizePercentage }} of its limit",
      description: `Memory use is above ${opts.memoryLimitRatio * 100}% of the container limit; the next allocation spike gets the container OOM-killed.`,
    },
    {
      alert: "ProcessRestarted",
      severity: "warning",
      expr: `changes(process_start_time_seconds{${services}}[15m]) > 0`,
      forSeconds: 0,
      summary: "{{ $labels.job }}/{{ $labels.instance }} restarted",
      description:
        "process_start_time_seconds changed within the last 15 minutes: the process crashed or was restarted (OOM kill, liveness failure, deploy).",
    },
    {
      alert: "Watchdog",
      severity: "info",
      expr: "vector(1)",
      forSeconds: 0,
      summary: "Alerting pipeline heartbeat",
      description:
        "Always firing. If it stops reaching the receiver, Prometheus, its rule evaluation or Alertmanager delivery is broken.",
    },
  ];
}

/** Alert definitions as rules: `for:` capped by maxForSeconds, severity label, annotations with runbook. */
function alertingRules(defs: AlertDef[], opts: RuleOptions): AlertingRule[] {
  return defs.map((d) => {
    const f = forDuration(d.forSeconds, opts);
    return {
      alert: d.alert,
      expr: d.expr,
      ...(f ? { for: f } : {}),
      labels: { severity: d.severity },
      annotations: { summary: d.summary, description: d.description, runbook_url: runbookUrl(d.alert, opts) },
    };
  });
}

export function infraRuleGroups(opts: RuleOptions): RuleGroup[] {
  const limits: RecordingRule[] = Object.keys(opts.memoryLimitBytes)
    .sort()
    .map((job) => ({
      record: MEMORY_LIMIT_RECORD,
      expr: `vector(${opts.memoryLimitBytes[job]})`,
      labels: { job },
    }));
  return [
    { name: "beamline-limits", rules: limits },
    { name: "beamline-infra", rules: alertingRules(infraAlertDefs(opts), opts) },
    // The NATS exporter's series (job nats-exporter); silent where the exporter is off.
    { name: "beamline-nats", rules: alertingRules(natsAlertDefs(opts), opts) },
  ];
}
