// NATS infrastructure alerts on the metrics of the official NATS exporter
// (natsio/prometheus-nats-exporter:0.15.0, flags `-varz -connz -routez -jsz=all <every node's monitor URL>`,
// components/observability-config.ts natsExporterSpec). Each alert has a runbook at
// monitoring/runbooks/<alert>.md.
//
// Where the names come from: the source of github.com/nats-io/prometheus-nats-exporter (read as stored,
// not at the v0.15.0 tag; v0.15.0 is of April 2024, so it has what these files got before: /varz
// flattening, PR #139 of 2021, consumer ack floor, PR #173 of 2022; and not what came later: a typed
// routez collector, still an open PR, stream_raft_group, PR #319 of November 2024):
// - `gnatsd_varz_*`: collector/collector.go, the generic NATSCollector that `-varz` creates
//   (exporter/exporter.go: createCollector(collector.CoreSystem = "gnatsd", "varz")). It turns every
//   numeric field of /varz into a gauge `<system>_<endpoint>_<field>` and flattens nested objects with "_"
//   (objectToMetrics/fqName), so /varz `remotes` → `gnatsd_varz_remotes` and /varz
//   `jetstream.stats.storage` → `gnatsd_varz_jetstream_stats_storage`. Its only label is `server_id`
//   (newPrometheusGaugeVec), which is the scraped monitor URL's scheme://host unless an id is given
//   (main.go parseServerIDAndURL): `server_id="http://nats-0:8222"` here.
// - `jetstream_consumer_*`: collector/jsz.go (the jsz collector `-jsz=all` creates, system "jetstream",
//   subsystem "consumer"), labels server_id, server_name, cluster, domain, meta_leader, is_meta_leader,
//   account, account_id, stream_name, stream_leader, is_stream_leader, consumer_name, consumer_leader,
//   is_consumer_leader, consumer_desc. The rules below aggregate to (job, stream_name, consumer_name), so
//   labels later versions add or drop (stream_raft_group, consumer_created) do not change them.
//
// None of them keeps `instance` (the exporter's own address, the same for every node); they carry
// `server_id` instead. With `instance`, Alertmanager's "a critical target problem mutes its warnings"
// inhibition (equal job and instance) would let a critical alert about one node mute every node's warnings.
import type { AlertDef } from "./alerts";
import { promDurationSeconds } from "./burn-rate";
import type { RuleOptions } from "./rule-types";

/**
 * Scrape job of the NATS exporter (components/observability-config.ts scrapeTargets). Not in SCRAPE_JOBS:
 * those are scraped by every target, and the exporter is optional (`natsExporterEnabled`).
 */
export const NATS_EXPORTER_JOB = "nats-exporter";

const exporter = `job="${NATS_EXPORTER_JOB}"`;

/** The exporter's metrics the NATS alerts use (see the header for their source files). */
export const NATS_EXPORTER_METRICS = {
  /**
   * /varz `remotes`: the number of distinct servers this node has a route to. nats-server v2.15.3
   * server/server.go: `numRemotes()` is `len(s.routes)`, and `s.routes` is keyed by the remote server's
   * ID with every pooled connection of that peer in one slice; the entry goes only when the peer's last
   * connection closes (route.go removeRoute). So it does not depend on the route pool size.
   */
  remotes: "gnatsd_varz_remotes",
  /**
   * /varz `routes` (and /routez `num_routes`, gnatsd_routez_num_routes): every route connection,
   * pooled and per-account ones included (server.go numRoutes → forEachRoute). With the default
   * pool_size 3 and the system account's dedicated route, a 3-node v2.15.3 cluster shows 8 per node
   * (2 peers × 4), measured on loopback; for diagnosis only, the alert does not use it.
   */
  routes: "gnatsd_varz_routes",
  /** /varz `jetstream.stats.storage`: file storage JetStream uses (js.storeUsed, jetstream.go usageStats). */
  storageUsed: "gnatsd_varz_jetstream_stats_storage",
  /**
   * /varz `jetstream.config.max_storage`: the node's file store limit (max_file_store). Writes fail with
   * "insufficient resources" once used + the new message exceed it (jetstream.go wouldExceedLimits).
   */
  storageMax: "gnatsd_varz_jetstream_config_max_storage",
  /** jsz consumer `num_pending`: messages matching the consumer not yet delivered. */
  consumerPending: "jetstream_consumer_num_pending",
  /** jsz consumer `num_ack_pending`: delivered, not yet acknowledged. */
  consumerAckPending: "jetstream_consumer_num_ack_pending",
  /** jsz consumer `ack_floor.stream_seq`: every message up to it is acknowledged. */
  consumerAckFloor: "jetstream_consumer_ack_floor_stream_seq",
} as const;

/** NatsJetStreamConsumerStalled's window in production (minutes); windowScale shrinks it. */
const CONSUMER_STALL_WINDOW_MINUTES = 5;
/** Floor of the scaled window, as for CpuThrottled: a few 1 s scrapes. */
const MIN_WINDOW_SECONDS = 4;

/** How far back NatsJetStreamConsumerStalled compares the ack floor: 5m, scaled like the SLO windows. */
export function consumerStallWindow(opts: Pick<RuleOptions, "windowScale">): string {
  const seconds = Math.round(CONSUMER_STALL_WINDOW_MINUTES * 60 * opts.windowScale);
  return promDurationSeconds(Math.max(MIN_WINDOW_SECONDS, seconds));
}

const byServer = "job, server_id";
const byConsumer = "job, stream_name, consumer_name";

/**
 * A consumer's series from its leader only, folded over the leader's labels: a leader change moves the
 * series to another server_id (and consumer_leader), which must not look like a new consumer. Followers
 * report their own, possibly older, view and are left out.
 */
const leaderView = (metric: string, suffix = "") =>
  `max by (${byConsumer}) (${metric}{${exporter},is_consumer_leader="true"}${suffix})`;

/**
 * The NATS alerts. NatsClusterRouteDown is rendered only for a cluster (natsClusterSize > 1): a single
 * node has no routes, and its `remotes` of 0 is healthy.
 */
export function natsAlertDefs(opts: RuleOptions): AlertDef[] {
  const m = NATS_EXPORTER_METRICS;
  const peers = opts.natsClusterSize - 1;
  const defs: AlertDef[] = [];
  if (peers > 0) {
    defs.push({
      alert: "NatsClusterRouteDown",
      severity: "warning",
      // Distinct peers, not connections: the expected count comes from the configured cluster size and
      // holds whatever the route pool size (see NATS_EXPORTER_METRICS.remotes). A node that is down is
      // not reported by its own series (the exporter keeps the last value it read from an unreachable
      // node: collector.go only sets the gauges of servers that answered), so it shows up as the missing
      // peer of every other node; NatsUnreachable reports the node itself. No traffic is involved, and
      // without the exporter (or with the exporter down: TargetDown) there is no series and no alert.
      expr: `max by (${byServer}) (${m.remotes}{${exporter}}) < ${peers}`,
      forSeconds: 60,
      summary: `NATS node {{ $labels.server_id }} has routes to {{ $value }} of its ${peers} cluster peers`,
      description: `The ${opts.natsClusterSize}-node NATS cluster is not a full mesh: {{ $labels.server_id }} sees only {{ $value }} of ${peers} peers. Requests and replies between clients on different sides of the missing route are lost, and JetStream assets with replicas on the unreachable peer run without it (one more loss and R3 streams lose quorum).`,
    });
  }
  defs.push({
    alert: "NatsJetStreamStorageNearLimit",
    severity: "warning",
    // `> 0` drops a node without a file store limit (0) instead of dividing by zero; a node that stores
    // nothing gives 0 and never alerts.
    expr:
      `max by (${byServer}) (${m.storageUsed}{${exporter}})` +
      ` / max by (${byServer}) (${m.storageMax}{${exporter}} > 0) > ${opts.natsStorageRatio}`,
    forSeconds: 300,
    summary:
      "JetStream file storage of {{ $labels.server_id }} is at {{ $value | humanizePercentage }} of its limit",
    description: `JetStream on {{ $labels.server_id }} uses more than ${Math.round(opts.natsStorageRatio * 1000) / 10}% of its max_file_store. At the limit, publishing to file streams fails with "insufficient resources": durable intake (BEAMLINE_INTAKE) accepts nothing more and the decision and idempotency KV writes fail.`,
  });
  const w = consumerStallWindow(opts);
  defs.push({
    alert: "NatsJetStreamConsumerStalled",
    severity: "warning",
    // Work waits (undelivered or unacknowledged messages) and the ack floor is where it was one window
    // ago. An idle consumer (nothing pending) never alerts, however long its floor stands still, and a
    // consumer without a sample one window ago (new, or just after the exporter started) has nothing to
    // compare with and does not alert either.
    expr:
      `(${leaderView(m.consumerPending)} + ${leaderView(m.consumerAckPending)}) > 0` +
      ` and on (${byConsumer}) (${leaderView(m.consumerAckFloor)} <= ${leaderView(m.consumerAckFloor, ` offset ${w}`)})`,
    forSeconds: 300,
    summary:
      "JetStream consumer {{ $labels.stream_name }}/{{ $labels.consumer_name }} is stalled with {{ $value }} messages waiting",
    description: `Messages wait for consumer {{ $labels.consumer_name }} of stream {{ $labels.stream_name }} (pending plus unacknowledged), and its ack floor has not advanced in ${w}: nothing is acknowledged, because no subscriber pulls, the subscriber hangs, or one message is redelivered and never acknowledged.`,
  });
  return defs;
}
