// promtool cases for the infrastructure and service alerts: one firing and one silent case per alert
// (the Watchdog is always firing by design; its "silent" counterpart is the pipeline being broken).
import type { RenderedFile } from "../../../monitoring";
import { AlertRuleTest, Coverage, PromtoolTest, expAlert } from "./promtool-tests";

interface Case {
  alert: string;
  fires: boolean;
  name: string;
  series: [string, string][];
  evalTime: string;
  /** Labels of the firing alert (before the rule's own labels are added). */
  labels?: Record<string, string>[];
  valueText?: string;
}

const gw = 'job="gateway",instance="gw:8080"';
const rt = 'job="router",instance="rt:9090"';
const MIB256 = 268435456;
const CADV = 'image="beamline/router",instance="cadvisor:8080",name="router-1"';
/** CFS period counters (promtool values) of a service's own cgroup, or of a container in cAdvisor. */
const ownCfs = (sel: string, periods: string, throttled: string): [string, string][] => [
  [`process_cgroup_cpu_periods_total{${sel}}`, periods],
  [`process_cgroup_cpu_throttled_periods_total{${sel}}`, throttled],
];
const cadvisorCfs = (periods: string, throttled: string): [string, string][] => [
  [`container_cpu_cfs_periods_total{${CADV}}`, periods],
  [`container_cpu_cfs_throttled_periods_total{${CADV}}`, throttled],
];

/** The NATS exporter's scrape labels and one node's `server_id` (its monitor URL, as the exporter sets it). */
const NX = 'job="nats-exporter",instance="nats-exporter:7777"';
const node = (n: number) => `http://nats-${n}:8222`;
const varz = (metric: string, n: number) => `gnatsd_varz_${metric}{${NX},server_id="${node(n)}"}`;
/** What NatsClusterRouteDown and NatsJetStreamStorageNearLimit fire with: the node, by server_id. */
const nodeAlert = (n: number) => ({ job: "nats-exporter", server_id: node(n) });
/**
 * A jsz consumer series as the exporter (`-jsz=all`) emits it from server nats-<n>: the server, stream and
 * consumer labels of collector/jsz.go, with `is_consumer_leader` telling the leader's view apart.
 */
const jszConsumer = (metric: string, n: number, leader: number) =>
  `jetstream_consumer_${metric}{${NX},server_id="${node(n)}",server_name="nats-${n}",cluster="pg-dev-nats",` +
  `meta_leader="nats-0",is_meta_leader="${n === 0}",account="$G",account_id="$G",stream_name="BEAMLINE_INTAKE",` +
  `stream_leader="nats-${leader}",is_stream_leader="${n === leader}",consumer_name="router-decide-consumer",` +
  `consumer_leader="nats-${leader}",is_consumer_leader="${n === leader}"}`;
/** num_pending, num_ack_pending and ack_floor_stream_seq of one server's view of the intake consumer. */
const consumerView = (
  n: number,
  leader: number,
  pending: string,
  ackPending: string,
  ackFloor: string,
): [string, string][] => [
  [jszConsumer("num_pending", n, leader), pending],
  [jszConsumer("num_ack_pending", n, leader), ackPending],
  [jszConsumer("ack_floor_stream_seq", n, leader), ackFloor],
];
const intakeConsumer = {
  job: "nats-exporter",
  stream_name: "BEAMLINE_INTAKE",
  consumer_name: "router-decide-consumer",
};
/** A backlog of 30 arriving after 20 idle minutes, nothing acknowledged since. */
const lateBacklog = consumerView(0, 0, "0x20 30x10", "0x30", "100x30");

export const INFRA_CASES: Case[] = [
  {
    alert: "TargetDown",
    fires: true,
    name: "router scrape fails for 5 minutes",
    series: [
      [`up{${rt}}`, "0x10"],
      [`up{${gw}}`, "1x10"],
    ],
    evalTime: "5m",
    labels: [{ job: "router", instance: "rt:9090" }],
  },
  {
    alert: "TargetDown",
    fires: false,
    name: "a 30 s scrape blip stays under for: 1m",
    series: [[`up{${rt}}`, "1x3 0 1x6"]],
    evalTime: "5m",
  },
  {
    alert: "NatsUnreachable",
    fires: true,
    name: "NATS probe fails",
    series: [['probe_success{job="blackbox-nats",instance="nats:4222"}', "0x5"]],
    evalTime: "2m",
    labels: [{ job: "blackbox-nats", instance: "nats:4222" }],
  },
  {
    alert: "NatsUnreachable",
    fires: false,
    name: "NATS probe succeeds",
    series: [['probe_success{job="blackbox-nats",instance="nats:4222"}', "1x5"]],
    evalTime: "2m",
  },
  {
    alert: "GatewayNatsDisconnected",
    fires: true,
    name: "gateway NATS status 0",
    series: [[`gateway_nats_connection_status{${gw}}`, "0x5"]],
    evalTime: "2m",
    labels: [{ job: "gateway", instance: "gw:8080" }],
  },
  {
    alert: "GatewayNatsDisconnected",
    fires: false,
    name: "gateway NATS status 1",
    series: [[`gateway_nats_connection_status{${gw}}`, "1x5"]],
    evalTime: "2m",
  },
  {
    alert: "RouterNatsDisconnected",
    fires: true,
    name: "router NATS status 0",
    series: [[`router_nats_connection_status{${rt}}`, "0x5"]],
    evalTime: "2m",
    labels: [{ job: "router", instance: "rt:9090" }],
  },
  {
    alert: "RouterNatsDisconnected",
    fires: false,
    name: "router NATS status 1",
    series: [[`router_nats_connection_status{${rt}}`, "1x5"]],
    evalTime: "2m",
  },
  {
    alert: "RouterBackpressureActive",
    fires: true,
    name: "backpressure active for 5 minutes",
    series: [[`router_backpressure_active{${rt}}`, "1x10"]],
    evalTime: "5m",
    labels: [{ job: "router", instance: "rt:9090" }],
  },
  {
    alert: "RouterBackpressureActive",
    fires: false,
    name: "no backpressure",
    series: [[`router_backpressure_active{${rt}}`, "0x10"]],
    evalTime: "5m",
  },
  {
    alert: "JetStreamPendingHigh",
    fires: true,
    name: "5000 pending for 10 minutes",
    series: [[`router_jetstream_pending{${rt}}`, "5000x20"]],
    evalTime: "10m",
    labels: [{ job: "router" }],
    valueText: "5000",
  },
  {
    alert: "JetStreamPendingHigh",
    fires: false,
    name: "10 pending",
    series: [[`router_jetstream_pending{${rt}}`, "10x20"]],
    evalTime: "10m",
  },
  {
    alert: "CircuitBreakerOpen",
    fires: true,
    name: "breaker of p1 open",
    series: [
      [`router_circuit_breaker_open{${rt},provider="p1"}`, "1x10"],
      [`router_circuit_breaker_open{${rt},provider="p2"}`, "0x10"],
    ],
    evalTime: "5m",
    labels: [{ job: "router", provider: "p1" }],
  },
  {
    alert: "CircuitBreakerOpen",
    fires: false,
    name: "breaker half-open (0.5) does not alert",
    series: [[`router_circuit_breaker_open{${rt},provider="p1"}`, "0.5x10"]],
    evalTime: "5m",
  },
  {
    alert: "EventLoopLagHigh",
    fires: true,
    name: "gateway p99 lag 500 ms",
    series: [[`nodejs_eventloop_lag_p99_seconds{${gw}}`, "0.5x10"]],
    evalTime: "6m",
    labels: [{ job: "gateway", instance: "gw:8080" }],
    valueText: "500ms",
  },
  {
    alert: "EventLoopLagHigh",
    fires: false,
    name: "gateway p99 lag 10 ms",
    series: [[`nodejs_eventloop_lag_p99_seconds{${gw}}`, "0.01x10"]],
    evalTime: "6m",
  },
  {
    alert: "CpuThrottled",
    fires: true,
    name: "router's own cgroup throttled in half of its periods for 15 minutes",
    series: [...ownCfs(rt, "0+600x20", "0+300x20"), ...ownCfs(gw, "0+600x20", "0+30x20")],
    evalTime: "15m",
    labels: [{ job: "router", instance: "rt:9090" }],
    valueText: "50%",
  },
  {
    alert: "CpuThrottled",
    fires: true,
    name: "cAdvisor: a container throttled in a third of its periods",
    series: cadvisorCfs("0+600x20", "0+200x20"),
    evalTime: "15m",
    labels: [{ image: "beamline/router", instance: "cadvisor:8080", name: "router-1" }],
    valueText: "33.33%",
  },
  {
    alert: "CpuThrottled",
    fires: false,
    name: "10% of the periods throttled, on both sources (below the ratio)",
    series: [...ownCfs(rt, "0+600x20", "0+60x20"), ...cadvisorCfs("0+600x20", "0+60x20")],
    evalTime: "15m",
  },
  {
    alert: "CpuThrottled",
    fires: false,
    name: "no quota on either source: periods do not grow, 0/0 is dropped (no NaN alert)",
    series: [...ownCfs(rt, "0x20", "0x20"), ...cadvisorCfs("50x20", "40x20")],
    evalTime: "15m",
  },
  {
    alert: "MemoryNearLimit",
    fires: true,
    name: "process RSS at 31/32 of the configured limit (no cAdvisor)",
    series: [[`process_resident_memory_bytes{${gw}}`, `${(MIB256 / 32) * 31}x10`]],
    evalTime: "6m",
    labels: [{ job: "gateway", instance: "gw:8080" }],
    valueText: "96.88%",
  },
  {
    alert: "MemoryNearLimit",
    fires: true,
    name: "cAdvisor working set at 95% of the container limit",
    series: [
      [
        'container_memory_working_set_bytes{image="beamline/router",instance="cadvisor:8080",name="router-1"}',
        "950x10",
      ],
      [
        'container_spec_memory_limit_bytes{image="beamline/router",instance="cadvisor:8080",name="router-1"}',
        "1000x10",
      ],
    ],
    evalTime: "6m",
    labels: [{ image: "beamline/router", instance: "cadvisor:8080", name: "router-1" }],
    valueText: "95%",
  },
  {
    alert: "MemoryNearLimit",
    fires: false,
    name: "half the limit, and an unlimited container (limit 0) gives no Inf",
    series: [
      [`process_resident_memory_bytes{${gw}}`, `${MIB256 / 2}x10`],
      [
        'container_memory_working_set_bytes{image="beamline/router",instance="cadvisor:8080",name="router-1"}',
        "950x10",
      ],
      [
        'container_spec_memory_limit_bytes{image="beamline/router",instance="cadvisor:8080",name="router-1"}',
        "0x10",
      ],
    ],
    evalTime: "6m",
  },
  {
    alert: "ProcessRestarted",
    fires: true,
    name: "start time changes",
    series: [[`process_start_time_seconds{${rt}}`, "1000x5 2000x10"]],
    evalTime: "8m",
    labels: [{ job: "router", instance: "rt:9090" }],
  },
  {
    alert: "ProcessRestarted",
    fires: false,
    name: "start time constant",
    series: [[`process_start_time_seconds{${rt}}`, "1000x15"]],
    evalTime: "8m",
  },
  // NATS (monitoring/nats-alerts.ts) in the default 3-node cluster: every node must see 2 peers.
  {
    alert: "NatsClusterRouteDown",
    fires: true,
    name: "nats-2 stops: the other two see 1 peer (the exporter keeps nats-2's last value, 2)",
    series: [
      [varz("remotes", 0), "2x2 1x10"],
      [varz("remotes", 1), "2x2 1x10"],
      [varz("remotes", 2), "2x12"],
      [varz("routes", 0), "8x2 4x10"],
      [varz("routes", 1), "8x2 4x10"],
      [varz("routes", 2), "8x12"],
    ],
    evalTime: "5m",
    labels: [nodeAlert(0), nodeAlert(1)],
    valueText: "1",
  },
  {
    alert: "NatsClusterRouteDown",
    fires: false,
    name: "full mesh with pooled routes (8 connections, 2 peers per node) and one node's 1-minute restart blip",
    series: [
      [varz("remotes", 0), "2x3 1 2x6"],
      [varz("remotes", 1), "2x3 1 2x6"],
      [varz("remotes", 2), "2x3 _ 2x6"],
      [varz("routes", 0), "8x3 4 8x6"],
      [varz("routes", 1), "8x3 4 8x6"],
      [varz("routes", 2), "8x3 _ 8x6"],
    ],
    evalTime: "6m",
  },
  {
    alert: "NatsClusterRouteDown",
    fires: false,
    name: "no exporter series (exporter off or down; TargetDown covers the latter): nothing to compare",
    series: [[`up{${NX}}`, "0x10"]],
    evalTime: "6m",
  },
  {
    alert: "NatsJetStreamStorageNearLimit",
    fires: true,
    name: "nats-1's file store at 95% of its 1 GB limit",
    series: [
      [varz("jetstream_stats_storage", 0), "400000000x10"],
      [varz("jetstream_config_max_storage", 0), "1000000000x10"],
      [varz("jetstream_stats_storage", 1), "950000000x10"],
      [varz("jetstream_config_max_storage", 1), "1000000000x10"],
    ],
    evalTime: "6m",
    labels: [nodeAlert(1)],
    valueText: "95%",
  },
  {
    alert: "NatsJetStreamStorageNearLimit",
    fires: false,
    name: "80% used stays under the 90% bound",
    series: [
      [varz("jetstream_stats_storage", 0), "800000000x10"],
      [varz("jetstream_config_max_storage", 0), "1000000000x10"],
    ],
    evalTime: "6m",
  },
  {
    alert: "NatsJetStreamStorageNearLimit",
    fires: false,
    name: "nothing stored (0 of 1 GB), and a node without a limit (0) gives no division by zero",
    series: [
      [varz("jetstream_stats_storage", 0), "0x10"],
      [varz("jetstream_config_max_storage", 0), "1000000000x10"],
      [varz("jetstream_stats_storage", 1), "500000000x10"],
      [varz("jetstream_config_max_storage", 1), "0x10"],
    ],
    evalTime: "6m",
  },
  {
    alert: "NatsJetStreamStorageNearLimit",
    fires: false,
    name: "no exporter series",
    series: [[`up{${NX}}`, "1x10"]],
    evalTime: "6m",
  },
  {
    alert: "NatsJetStreamConsumerStalled",
    fires: true,
    name: "no router pulls: 40 pending, 10 unacked, ack floor at 100 across a leader move to nats-1",
    series: [
      ...consumerView(0, 0, "40x7 _x12", "10x7 _x12", "100x7 _x12"),
      ...consumerView(1, 1, "_x7 40x12", "_x7 10x12", "_x7 100x12"),
      // A follower's own (older) view is not the consumer's state.
      ...consumerView(2, 1, "45x19", "0x19", "90x19"),
    ],
    evalTime: "15m",
    labels: [intakeConsumer],
    valueText: "50",
  },
  {
    alert: "NatsJetStreamConsumerStalled",
    fires: false,
    name: "a busy consumer that acknowledges (floor rises) while a follower's view stands still",
    series: [
      ...consumerView(0, 0, "40x20", "10x20", "100+10x20"),
      ...consumerView(1, 0, "45x20", "0x20", "90x20"),
    ],
    evalTime: "15m",
  },
  {
    alert: "NatsJetStreamConsumerStalled",
    fires: false,
    name: "idle consumer (zero traffic): nothing waits, the floor stands still for 20 minutes",
    series: consumerView(0, 0, "0x20", "0x20", "100x20"),
    evalTime: "15m",
  },
  {
    alert: "NatsJetStreamConsumerStalled",
    fires: false,
    name: "a backlog after 20 idle minutes, waiting 3 minutes (under for: 5m)",
    series: lateBacklog,
    evalTime: "23m",
  },
  {
    alert: "NatsJetStreamConsumerStalled",
    fires: true,
    name: "the same backlog, still unacknowledged after 6 minutes",
    series: lateBacklog,
    evalTime: "26m",
    labels: [intakeConsumer],
    valueText: "30",
  },
  {
    alert: "Watchdog",
    fires: true,
    name: "always firing",
    series: [['up{job="prometheus",instance="p:9090"}', "1x5"]],
    evalTime: "2m",
    labels: [{}],
  },
];

export function infraCases(files: RenderedFile[]): { tests: PromtoolTest[]; coverage: Coverage[] } {
  const tests = INFRA_CASES.map((c): PromtoolTest => {
    const art: AlertRuleTest = {
      eval_time: c.evalTime,
      alertname: c.alert,
      exp_alerts: c.fires
        ? (c.labels ?? []).map((l) => expAlert(files, c.alert, l, { valueText: c.valueText }))
        : [],
    };
    return {
      name: `${c.alert} ${c.fires ? "fires" : "stays silent"}: ${c.name}`,
      interval: "1m",
      input_series: c.series.map(([series, values]) => ({ series, values })),
      alert_rule_test: [art],
    };
  });
  return { tests, coverage: INFRA_CASES.map((c) => ({ key: c.alert, fires: c.fires })) };
}

/** Alerts that have no silent case, and why. */
export const ALWAYS_FIRING: Record<string, string> = {
  Watchdog: "the heartbeat fires unconditionally; its silence is what the dead man's switch detects",
};
