import type * as pulumi from "@pulumi/pulumi";
import type { PartSpec } from "../spec";
import { type KubeContext } from "./common";
/** PrometheusRule specs (groups) from monitoring/'s rule files, one object per file. */
export declare function prometheusRuleSpecs(): {
    name: string;
    groups: unknown[];
}[];
/**
 * One monitoring part as a single-replica Deployment and its Service: the spec's ConfigMaps mounted at
 * their directories, scratch volumes as size-limited emptyDirs, probes on the "http" port.
 */
export declare function monitoringDeployment(ctx: KubeContext, spec: PartSpec, opts?: {
    serviceAccountName?: pulumi.Input<string>;
}): void;
export interface KubernetesMonitoringArgs {
    /** NATS node names (each a Service in the namespace). */
    natsNodes: string[];
    /** Prometheus image, pinned (unused with `prometheusOperator`). */
    prometheusImage: string;
    /** Alertmanager image, pinned (unused with `prometheusOperator`). */
    alertmanagerImage: string;
    /** Blackbox exporter image, pinned: probes NATS and the gateway in both modes. */
    blackboxImage: string;
    /** Alertmanager's webhook receiver URL. */
    alertWebhookUrl: string;
    /** Scrape and rule evaluation interval in seconds. */
    scrapeIntervalSeconds: number;
    /** Prometheus Operator objects instead of own Prometheus and Alertmanager Deployments. */
    prometheusOperator: boolean;
}
export interface KubernetesMonitoring {
    /** Roles that run as workloads here (chaos targets). */
    roles: ("prometheus" | "alertmanager" | "blackbox")[];
    /** In-cluster URLs; undefined with the operator (its Prometheus is not this stack's). */
    prometheusUrl?: string;
    /** In-cluster Alertmanager URL; undefined with the operator. */
    alertmanagerUrl?: string;
}
export declare function kubernetesMonitoring(ctx: KubeContext, a: KubernetesMonitoringArgs): KubernetesMonitoring;
