import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
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
    prometheus: {
        image: string;
        hostPort: number;
    };
    /** Alertmanager image (pinned) and the host port its UI is published on. */
    alertmanager: {
        image: string;
        hostPort: number;
    };
    /** Blackbox exporter image (pinned). */
    blackbox: {
        image: string;
    };
    /** Grafana with provisioned datasources and dashboards. Default off when omitted. */
    grafana?: {
        image: string;
        hostPort: number;
    };
    /** Official NATS exporter scraping every node's monitoring port. Default off. */
    natsExporter?: {
        image: string;
    };
    /** cAdvisor (per-container CPU and memory metrics). Default off when omitted. */
    cadvisor?: {
        image: string;
    };
    /** Loki and a promtail shipper reading this stack's container logs via the Docker socket. Default off. */
    loki?: {
        image: string;
        promtailImage: string;
    };
    /** Limits for each observability container. Default 0.5 CPU / 256Mi. */
    limits?: Limits;
}
export declare class Observability extends pulumi.ComponentResource {
    readonly prometheus: docker.Container;
    readonly alertmanager: docker.Container;
    readonly blackbox: docker.Container;
    readonly grafana?: docker.Container;
    readonly natsExporter?: docker.Container;
    readonly cadvisor?: docker.Container;
    readonly loki?: docker.Container;
    readonly promtail?: docker.Container;
    /** Every container of the component, for health-gating the validation job. */
    readonly all: docker.Container[];
    readonly prometheusUrl: string;
    readonly alertmanagerUrl: string;
    readonly grafanaUrl?: string;
    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions);
}
