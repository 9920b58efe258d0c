// Observability: Prometheus (config and rules from monitoring/), Alertmanager, the blackbox exporter
// probing NATS and the gateway, and optionally Grafana (provisioned datasources and dashboards), the
// NATS exporter, cAdvisor and Loki with promtail. Every config file is an `uploads` entry, so a changed
// rule or dashboard shows as a diff in `pulumi preview`. The official prom images have an ENTRYPOINT
// (/bin/prometheus, ...) and the CI images mimic it, so only `command` (the arguments) is set here.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  renderAlertmanagerConfig,
  renderDashboards,
  renderGrafanaProvisioning,
  renderPrometheusConfig,
  renderRuleFiles,
} from "../monitoring";
import type { Limits } from "../stacks/config";
import { labels, limitArgs, SIDE_TIMING, wgetHealthcheck } from "./common";
import {
  ALERTMANAGER_PORT,
  BLACKBOX_PORT,
  CADVISOR_PORT,
  GRAFANA_PORT,
  LOKI_PORT,
  NATS_EXPORTER_PORT,
  PROMETHEUS_PORT,
  renderBlackboxConfig,
  renderLokiConfig,
  renderLokiDatasource,
  renderPromtailConfig,
  scrapeTargets,
} from "./observability-config";

const PROM_DIR = "/etc/prometheus";
const GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards";

export interface ObservabilityArgs {
  stack: string;
  /** Prefix of container names, e.g. "pg-dev". */
  namePrefix: string;
  network: pulumi.Input<string>;
  /** Address published UI ports bind to. Default "127.0.0.1". */
  bindAddress?: string;
  /** Scrape and rule evaluation interval. Default 15. */
  scrapeIntervalSeconds?: number;
  /** Alertmanager's webhook receiver. */
  alertWebhookUrl: string;
  /** In-network host:port of each gateway and router replica, and NATS monitoring base URLs. */
  gateways: string[];
  routers: string[];
  natsMonitors: string[];
  /** Gateway base URLs probed at /health. */
  gatewayProbes: string[];
  prometheus: { image: string; hostPort: number };
  alertmanager: { image: string; hostPort: number };
  blackbox: { image: string };
  /** Grafana with provisioned datasources and dashboards. Default off when omitted. */
  grafana?: { image: string; hostPort: number };
  /** Official NATS exporter scraping every node's monitoring port. */
  natsExporter?: { image: string };
  cadvisor?: { image: string };
  /** Loki and a promtail shipper reading this stack's container logs via the Docker socket. */
  loki?: { image: string; promtailImage: string };
  /** Limits for each observability container. Default 0.5 CPU / 256Mi. */
  limits?: Limits;
}

const DEFAULT_LIMITS: Limits = { cpus: 0.5, memory: "256Mi", memoryBytes: 256 * 1024 ** 2, memoryMb: 256 };

export class Observability extends pulumi.ComponentResource {
  public readonly prometheus: docker.Container;
  public readonly alertmanager: docker.Container;
  public readonly blackbox: docker.Container;
  public readonly grafana?: docker.Container;
  public readonly natsExporter?: docker.Container;
  public readonly cadvisor?: docker.Container;
  public readonly loki?: docker.Container;
  public readonly promtail?: docker.Container;
  /** Every container of the component, for health-gating the validation job. */
  public readonly all: docker.Container[];
  public readonly prometheusUrl: string;
  public readonly alertmanagerUrl: string;
  public readonly grafanaUrl?: string;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:Observability", name, {}, opts);
    const bind = args.bindAddress ?? "127.0.0.1";
    const interval = args.scrapeIntervalSeconds ?? 15;
    const limits = limitArgs(args.limits ?? DEFAULT_LIMITS);
    const net = (alias: string) => [{ name: args.network, aliases: [alias] }];
    // Fixed names and host ports: the old container goes before its replacement starts.
    const childOpts = { parent: this, deleteBeforeReplace: true };
    // Health checks use SIDE_TIMING (wgetHealthcheck's default): these containers start beside NATS and
    // only the validation job at the end of `up` waits for them, so they are usually off its critical path.
    const container = (role: string, a: Omit<docker.ContainerArgs, "labels" | "name" | "networksAdvanced">) =>
      new docker.Container(
        `${name}-${role}`,
        {
          name: `${args.namePrefix}-${role}`,
          networksAdvanced: net(role),
          wait: true,
          waitTimeout: 120,
          restart: "unless-stopped",
          ...limits,
          ...a,
          labels: labels(args.stack, role),
        },
        childOpts,
      );
    const image = (role: string, ref: string) =>
      new docker.RemoteImage(`${name}-${role}-image`, { name: ref, keepLocally: true }, { parent: this })
        .imageId;

    const rules = renderRuleFiles();
    const prometheusYml = renderPrometheusConfig({
      scrapeIntervalSeconds: interval,
      evaluationIntervalSeconds: interval,
      targets: scrapeTargets({
        gateways: args.gateways,
        routers: args.routers,
        natsMonitors: args.natsMonitors,
        gatewayProbes: args.gatewayProbes,
        alertmanager: `alertmanager:${ALERTMANAGER_PORT}`,
        blackbox: `blackbox:${BLACKBOX_PORT}`,
        natsExporter: args.natsExporter ? `nats-exporter:${NATS_EXPORTER_PORT}` : undefined,
        cadvisor: args.cadvisor ? `cadvisor:${CADVISOR_PORT}` : undefined,
        loki: args.loki ? `loki:${LOKI_PORT}` : undefined,
      }),
      alertmanagers: [`alertmanager:${ALERTMANAGER_PORT}`],
      ruleFiles: [`${PROM_DIR}/rules/*.yml`],
      externalLabels: { stack: args.stack },
    });

    this.prometheus = container("prometheus", {
      image: image("prometheus", args.prometheus.image),
      command: [
        `--config.file=${PROM_DIR}/prometheus.yml`,
        "--storage.tsdb.path=/prometheus",
        `--web.listen-address=:${PROMETHEUS_PORT}`,
        // POST /-/reload lets tests and operators apply a config change without a restart.
        "--web.enable-lifecycle",
      ],
      uploads: [
        { file: `${PROM_DIR}/prometheus.yml`, content: prometheusYml },
        ...rules.map((r) => ({ file: `${PROM_DIR}/rules/${r.name}`, content: r.content })),
      ],
      ports: [{ internal: PROMETHEUS_PORT, external: args.prometheus.hostPort, ip: bind }],
      healthcheck: wgetHealthcheck(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`),
    });

    this.alertmanager = container("alertmanager", {
      image: image("alertmanager", args.alertmanager.image),
      command: [
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path=/alertmanager",
        `--web.listen-address=:${ALERTMANAGER_PORT}`,
        // A single instance: no gossip port, no peer discovery noise.
        "--cluster.listen-address=",
      ],
      uploads: [
        {
          file: "/etc/alertmanager/alertmanager.yml",
          content: renderAlertmanagerConfig({ webhookUrl: args.alertWebhookUrl }),
        },
      ],
      ports: [{ internal: ALERTMANAGER_PORT, external: args.alertmanager.hostPort, ip: bind }],
      healthcheck: wgetHealthcheck(`http://127.0.0.1:${ALERTMANAGER_PORT}/-/healthy`),
    });

    this.blackbox = container("blackbox", {
      image: image("blackbox", args.blackbox.image),
      command: ["--config.file=/etc/blackbox_exporter/config.yml", `--web.listen-address=:${BLACKBOX_PORT}`],
      uploads: [{ file: "/etc/blackbox_exporter/config.yml", content: renderBlackboxConfig() }],
      healthcheck: wgetHealthcheck(`http://127.0.0.1:${BLACKBOX_PORT}/metrics`),
    });

    this.all = [this.prometheus, this.alertmanager, this.blackbox];
    this.prometheusUrl = `http://${bind}:${args.prometheus.hostPort}`;
    this.alertmanagerUrl = `http://${bind}:${args.alertmanager.hostPort}`;

    if (args.loki) {
      this.loki = container("loki", {
        image: image("loki", args.loki.image),
        command: ["-config.file=/etc/loki/config.yml"],
        uploads: [{ file: "/etc/loki/config.yml", content: renderLokiConfig() }],
        healthcheck: wgetHealthcheck(`http://127.0.0.1:${LOKI_PORT}/ready`),
      });
      this.promtail = container("promtail", {
        image: image("promtail", args.loki.promtailImage),
        command: ["-config.file=/etc/promtail/config.yml"],
        uploads: [
          {
            file: "/etc/promtail/config.yml",
            content: renderPromtailConfig({ lokiUrl: `http://loki:${LOKI_PORT}`, stack: args.stack }),
          },
        ],
        mounts: [
          { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true },
        ],
        // The promtail image is Debian-slim without wget/curl: probe /ready with bash's /dev/tcp.
        healthcheck: {
          tests: [
            "CMD",
            "bash",
            "-c",
            "exec 3<>/dev/tcp/127.0.0.1/9080 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '",
          ],
          ...SIDE_TIMING,
        },
      });
      this.all.push(this.loki, this.promtail);
    }

    if (args.grafana) {
      const admin = new random.RandomPassword(
        `${name}-grafana-admin`,
        { length: 24, special: false },
        { parent: this },
      );
      const provisioning = renderGrafanaProvisioning({
        prometheusUrl: `http://prometheus:${PROMETHEUS_PORT}`,
        dashboardsDir: GRAFANA_DASHBOARDS_DIR,
      });
      if (args.loki) {
        provisioning.push({
          name: "datasources/loki.yml",
          content: renderLokiDatasource(`http://loki:${LOKI_PORT}`),
        });
      }
      this.grafana = container("grafana", {
        image: image("grafana", args.grafana.image),
        envs: pulumi.secret(
          admin.result.apply((p) => [
            `GF_SECURITY_ADMIN_PASSWORD=${p}`,
            // Read-only dashboards without logging in; the port is bound to loopback by default.
            "GF_AUTH_ANONYMOUS_ENABLED=true",
            "GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer",
            "GF_ANALYTICS_REPORTING_ENABLED=false",
          ]),
        ),
        uploads: [
          ...provisioning.map((f) => ({ file: `/etc/grafana/provisioning/${f.name}`, content: f.content })),
          ...renderDashboards().map((f) => ({
            file: `${GRAFANA_DASHBOARDS_DIR}/${f.name}`,
            content: f.content,
          })),
        ],
        ports: [{ internal: GRAFANA_PORT, external: args.grafana.hostPort, ip: bind }],
        healthcheck: wgetHealthcheck(`http://127.0.0.1:${GRAFANA_PORT}/api/health`),
      });
      this.all.push(this.grafana);
      this.grafanaUrl = `http://${bind}:${args.grafana.hostPort}`;
    }

    if (args.natsExporter) {
      this.natsExporter = container("nats-exporter", {
        image: image("nats-exporter", args.natsExporter.image),
        command: [
          "-varz",
          "-connz",
          "-routez",
          "-jsz=all",
          "-port",
          String(NATS_EXPORTER_PORT),
          ...args.natsMonitors,
        ],
        healthcheck: wgetHealthcheck(`http://127.0.0.1:${NATS_EXPORTER_PORT}/metrics`),
      });
      this.all.push(this.natsExporter);
    }

    if (args.cadvisor) {
      const ro = (p: string) => ({
        type: "bind",
        source: p,
        target: p === "/" ? "/rootfs" : p,
        readOnly: true,
      });
      this.cadvisor = container("cadvisor", {
        image: image("cadvisor", args.cadvisor.image),
        // Only this stack's containers; docker-only keeps cAdvisor's own overhead small.
        command: ["--docker_only=true", "--housekeeping_interval=10s", `--port=${CADVISOR_PORT}`],
        mounts: ["/", "/var/run", "/sys", "/var/lib/docker"].map(ro),
        healthcheck: wgetHealthcheck(`http://127.0.0.1:${CADVISOR_PORT}/healthz`),
      });
      this.all.push(this.cadvisor);
    }

    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      alertmanagerUrl: this.alertmanagerUrl,
      grafanaUrl: this.grafanaUrl,
    });
  }
}
