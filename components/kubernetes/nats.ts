// NATS on Kubernetes: the NATS part spec (components/nats.ts natsSpec) as a StatefulSet with one
// nats.conf ConfigMap for every pod (server name from $POD_NAME), JetStream PVCs, a headless Service,
// one Service per pod so nats-0..N resolve as on the Docker target, and a PodDisruptionBudget.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { natsNodeNames, natsSpec, renderNatsConfig, type NatsConfigOptions } from "../nats";
import { parseMemory, type Limits } from "../types";
import {
  configVolumes,
  containerBase,
  containerEnv,
  containerPorts,
  disruptionBudget,
  meta,
  probePaths,
  res,
  roleLabels,
  sha256,
  type KubeContext,
} from "./common";

export interface NatsStatefulSetArgs {
  /** Image with nats-server on PATH, pinned by tag or digest (e.g. "nats:2.15.3-alpine"). */
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
export function kubernetesNatsConfig(
  nodes: string[],
  stack: string,
  jetstreamStorage: string,
): NatsConfigOptions {
  return {
    serverName: "$POD_NAME",
    nodes,
    clusterName: `pg-${stack}-nats`,
    // In bytes: nats-server reads an "M" suffix as 10^6, not MiB.
    maxFileStore: String(Math.floor((parseMemory(jetstreamStorage) ?? 0) * 0.8)),
  };
}

/** The nats.conf every NATS pod reads. */
export function renderKubernetesNatsConfig(nodes: string[], stack: string, jetstreamStorage: string): string {
  return renderNatsConfig(kubernetesNatsConfig(nodes, stack, jetstreamStorage));
}

export interface NatsWorkload {
  /** The NATS StatefulSet (`nats`). */
  statefulSet: k8s.apps.v1.StatefulSet;
  /** Node names (nats-0..), each also a Service name in the namespace. */
  nodes: string[];
  /** The Service of each node, in the order of `nodes`. */
  nodeServices: k8s.core.v1.Service[];
}

export function natsStatefulSet(ctx: KubeContext, a: NatsStatefulSetArgs): NatsWorkload {
  const nodes = natsNodeNames(a.replicas);
  const spec = natsSpec({
    ...kubernetesNatsConfig(nodes, ctx.stack, a.jetstreamStorage),
    image: a.image,
    user: a.user,
    password: a.password,
    limits: a.limits,
  });
  const [config] = configVolumes(ctx, spec);
  const labels = roleLabels(ctx.stack, "nats");
  const ports = containerPorts(spec);
  const servicePorts = ports.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name }));
  const headless = new k8s.core.v1.Service(
    "nats-headless",
    {
      metadata: meta(ctx, "nats-headless", "nats"),
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: labels, ports: servicePorts },
    },
    res(ctx),
  );
  const healthz = probePaths(spec).ready;
  const data = spec.volumes.find((v) => v.kind === "persistent")!;
  const statefulSet = new k8s.apps.v1.StatefulSet(
    "nats",
    {
      metadata: meta(ctx, "nats", "nats"),
      spec: {
        serviceName: headless.metadata.name,
        replicas: a.replicas,
        // All pods start together: a JetStream cluster needs its peers to form.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            // A config change rolls the pods (the ConfigMap alone would not).
            annotations: { "proving-ground/config-sha256": sha256(spec.files[0].content) },
          },
          spec: {
            affinity: {
              podAntiAffinity: {
                // Preferred, not required: spread over nodes when possible, still schedulable on a
                // one-node dev cluster.
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchLabels: labels },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                ...containerBase(spec),
                command: spec.command,
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  ...containerEnv(spec, a.secretName),
                ],
                startupProbe: { httpGet: healthz, periodSeconds: 2, failureThreshold: 60 },
                livenessProbe: { httpGet: healthz, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: healthz, periodSeconds: 5 },
                volumeMounts: [
                  { name: config.name, mountPath: config.mountPath },
                  { name: data.name, mountPath: data.path },
                ],
              },
            ],
            volumes: [{ name: config.name, configMap: config.configMap }],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: data.name, labels },
            spec: {
              accessModes: ["ReadWriteOnce"],
              ...(a.storageClass ? { storageClassName: a.storageClass } : {}),
              resources: { requests: { storage: a.jetstreamStorage } },
            },
          },
        ],
      },
    },
    res(ctx),
  );
  const nodeServices = nodes.map(
    (node) =>
      new k8s.core.v1.Service(
        `nats-node-${node}`,
        {
          metadata: meta(ctx, node, "nats"),
          spec: {
            publishNotReadyAddresses: true,
            selector: { ...labels, "statefulset.kubernetes.io/pod-name": node },
            ports: servicePorts,
          },
        },
        res(ctx),
      ),
  );
  disruptionBudget(ctx, "nats");
  return { statefulSet, nodes, nodeServices };
}
