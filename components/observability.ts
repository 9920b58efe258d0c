// Observability: Prometheus (config and rules from monitoring/), Alertmanager, the blackbox exporter
// probing NATS and the gateway, and optionally Grafana (provisioned datasources and dashboards), the
// NATS exporter, cAdvisor and Loki with promtail. Every config file is an `uploads` entry, so a changed
// rule or dashboard shows as a diff in `pulumi preview`. What each container runs is its part spec
// (observability-config.ts), shared with the Kubernetes target; this component places the specs as
// containers (components/docker.ts). The official prom images have an ENTRYPOINT (/bin/prometheus, ...)
// and the CI images mimic it, so the specs set only the arguments (docker `command`).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { containerArgs } from "./docker";
import {
  ALERTMANAGER_PORT,
  alertmanagerSpec,
  BLACKBOX_PORT,
  blackboxSpec,
  CADVISOR_PORT,
  cadvisorSpec,
  grafanaSpec,
  LOKI_PORT,
  lokiSpec,
  NATS_EXPORTER_PORT,
  natsExporterSpec,
  PROMETHEUS_PORT,
  prometheusSpec,
  promtailSpec,
  scrapeTargets,
} from "./observability-config";
import type { PartSpec } from "./spec";
import type { Limits } from "./types";

export interface ObservabilityArgs {
  /** Stack name: labels, Prometheus's external label, promtail's container filter. */
  stack: string;
  /** Prefix of container names, e.g. "pg-dev". */
  namePrefix: string;
  /** Docker network to join; the scraped and probed addresses below are on it. */
  network: pulumi.Input<string>;
  /** Address published UI ports bind to. Default "127.0.0.1". */
  bindAddress?: string;
  /** Scrape and rule evaluation interval. Default 15. */
  scrapeIntervalSeconds?: number;
  /** Alertmanager's webhook receiver. */
  alertWebhookUrl: string;
  /** In-network host:port of each gateway replica (metrics at /metrics), e.g. "gateway-0:8080". */
  gateways: string[];
  /** In-network host:port of each router replica's metrics port, e.g. "router-0:9091". */
  routers: string[];
  /** NATS monitoring base URLs, probed at /healthz, e.g. "http://nats-0:8222". */
  natsMonitors: string[];
  /** Gateway base URLs probed at /health. */
  gatewayProbes: string[];
  /** Prometheus image (pinned) and the host port its UI is published on. */
  prometheus: { image: string; hostPort: number };
  /** Alertmanager image (pinned) and the host port its UI is published on. */
  alertmanager: { image: string; hostPort: number };
  /** Blackbox exporter image (pinned). */
  blackbox: { image: string };
  /** Grafana with provisioned datasources and dashboards. Default off when omitted. */
  grafana?: { image: string; hostPort: number };
  /** Official NATS exporter scraping every node's monitoring port. Default off. */
  natsExporter?: { image: string };
  /** cAdvisor (per-container CPU and memory metrics). Default off when omitted. */
  cadvisor?: { image: string };
  /** Loki and a promtail shipper reading this stack's container logs via the Docker socket. Default off. */
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
    const limits = args.limits ?? DEFAULT_LIMITS;
    // One container per part spec, its image pulled first. Health checks use SIDE_TIMING (the realizer's
    // default): these containers start beside NATS and only the validation job at the end of `up` waits
    // for them, so they are usually off its critical path.
    const part = (spec: PartSpec, hostPort?: number): docker.Container => {
      const ref = spec.image.kind === "image" ? spec.image.name : "";
      const image = new docker.RemoteImage(
        `${name}-${spec.role}-image`,
        { name: ref, keepLocally: true },
        { parent: this },
      ).imageId;
      const ports =
        hostPort === undefined ? undefined : [{ internal: spec.ports[0].port, external: hostPort, ip: bind }];
      return new docker.Container(
        `${name}-${spec.role}`,
        containerArgs(spec, {
          stack: args.stack,
          namePrefix: args.namePrefix,
          network: args.network,
          image,
          ports,
        }),
        // Fixed names and host ports: the old container goes before its replacement starts.
        { parent: this, deleteBeforeReplace: true },
      );
    };

    this.prometheus = part(
      prometheusSpec({
        image: args.prometheus.image,
        stack: args.stack,
        scrapeIntervalSeconds: args.scrapeIntervalSeconds ?? 15,
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
        alertmanager: `alertmanager:${ALERTMANAGER_PORT}`,
        // Every NATS node has a monitor URL: NatsClusterRouteDown expects the others as each one's peers
        // (a single node gets no route alert).
        ruleOptions: { natsClusterSize: Math.max(1, args.natsMonitors.length) },
        limits,
      }),
      args.prometheus.hostPort,
    );
    this.alertmanager = part(
      alertmanagerSpec({ image: args.alertmanager.image, webhookUrl: args.alertWebhookUrl, limits }),
      args.alertmanager.hostPort,
    );
    this.blackbox = part(blackboxSpec({ image: args.blackbox.image, limits }));

    this.all = [this.prometheus, this.alertmanager, this.blackbox];
    this.prometheusUrl = `http://${bind}:${args.prometheus.hostPort}`;
    this.alertmanagerUrl = `http://${bind}:${args.alertmanager.hostPort}`;

    if (args.loki) {
      this.loki = part(lokiSpec({ image: args.loki.image, limits }));
      this.promtail = part(
        promtailSpec({
          image: args.loki.promtailImage,
          lokiUrl: `http://loki:${LOKI_PORT}`,
          stack: args.stack,
          limits,
        }),
      );
      this.all.push(this.loki, this.promtail);
    }

    if (args.grafana) {
      const admin = new random.RandomPassword(
        `${name}-grafana-admin`,
        { length: 24, special: false },
        { parent: this },
      );
      this.grafana = part(
        grafanaSpec({
          image: args.grafana.image,
          prometheusUrl: `http://prometheus:${PROMETHEUS_PORT}`,
          lokiUrl: args.loki ? `http://loki:${LOKI_PORT}` : undefined,
          adminPassword: admin.result,
          limits,
        }),
        args.grafana.hostPort,
      );
      this.all.push(this.grafana);
      this.grafanaUrl = `http://${bind}:${args.grafana.hostPort}`;
    }

    if (args.natsExporter) {
      this.natsExporter = part(
        natsExporterSpec({ image: args.natsExporter.image, natsMonitors: args.natsMonitors, limits }),
      );
      this.all.push(this.natsExporter);
    }

    if (args.cadvisor) {
      this.cadvisor = part(cadvisorSpec({ image: args.cadvisor.image, limits }));
      this.all.push(this.cadvisor);
    }

    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      alertmanagerUrl: this.alertmanagerUrl,
      grafanaUrl: this.grafanaUrl,
    });
  }
}
