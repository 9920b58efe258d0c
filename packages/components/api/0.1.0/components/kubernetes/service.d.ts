import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PartSpec } from "../spec";
import { type KubeContext } from "./common";
export interface ServiceDeploymentArgs {
    /** Replicas, or the HPA's minimum when `hpa` is set. */
    replicas: number;
    /** Autoscale on CPU: the HPA then owns the replica count. Default: none (fixed `replicas`). */
    hpa?: {
        maxReplicas: number;
        cpuPercent: number;
    };
    /** Default "ClusterIP". */
    serviceType?: string;
    /** The Prometheus job name (label `proving-ground/job`, the ServiceMonitor's jobLabel). */
    job: string;
    /** The Secret the spec's secret env entries are keys of. */
    secretName: pulumi.Input<string>;
    /** Created after this (NATS). Default: none. */
    dependsOn?: pulumi.Resource;
}
export interface ServiceWorkload {
    /** The service's Deployment (named by its role, `gateway` or `router`). */
    deployment: k8s.apps.v1.Deployment;
    /** The Service in front of it, labelled with its Prometheus job. */
    service: k8s.core.v1.Service;
}
export declare function serviceDeployment(ctx: KubeContext, spec: PartSpec, a: ServiceDeploymentArgs): ServiceWorkload;
