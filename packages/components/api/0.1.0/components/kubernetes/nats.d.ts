import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type NatsConfigOptions } from "../nats";
import { type Limits } from "../types";
import { type KubeContext } from "./common";
export interface NatsStatefulSetArgs {
    /** Image with nats-server on PATH, pinned by tag or digest (e.g. "nats:2.10-alpine"). */
    image: string;
    /** 1 (single node) or 3 (JetStream cluster, pods nats-0..2). */
    replicas: 1 | 3;
    /** Client user; the pods read it from `secretName`'s NATS_SERVER_USER. */
    user: string;
    /** Secret; the pods read it (quoted for nats-server) from `secretName`'s NATS_SERVER_PASSWORD. */
    password: pulumi.Input<string>;
    /** CPU and memory limits per pod (requests: half the CPU, all the memory). */
    limits: Limits;
    /** The Secret holding NATS_SERVER_USER and NATS_SERVER_PASSWORD. */
    secretName: pulumi.Input<string>;
    /** PVC size per pod, e.g. "10Gi"; JetStream is capped at 80% of it. */
    jetstreamStorage: string;
    /** Default: the cluster's default StorageClass. */
    storageClass?: string;
}
/**
 * nats.conf options shared by every NATS pod (one ConfigMap): the server name taken from $POD_NAME,
 * which nats-server substitutes from the environment, and JetStream capped at 80% of the PVC so it hits
 * its own limit before the filesystem is full.
 */
export declare function kubernetesNatsConfig(nodes: string[], stack: string, jetstreamStorage: string): NatsConfigOptions;
/** The nats.conf every NATS pod reads. */
export declare function renderKubernetesNatsConfig(nodes: string[], stack: string, jetstreamStorage: string): string;
export interface NatsWorkload {
    /** The NATS StatefulSet (`nats`). */
    statefulSet: k8s.apps.v1.StatefulSet;
    /** Node names (nats-0..), each also a Service name in the namespace. */
    nodes: string[];
}
export declare function natsStatefulSet(ctx: KubeContext, a: NatsStatefulSetArgs): NatsWorkload;
