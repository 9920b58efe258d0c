// The gateway and the router on Kubernetes: the service part spec (components/service.ts serviceSpec) as a
// Deployment with liveness/readiness probes and limits, a Service carrying the Prometheus job label, a
// PodDisruptionBudget and, optionally, a CPU HorizontalPodAutoscaler.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PartSpec } from "../spec";
import {
  containerBase,
  containerEnv,
  containerPorts,
  disruptionBudget,
  meta,
  probePaths,
  res,
  roleLabels,
  type KubeContext,
} from "./common";

export interface ServiceDeploymentArgs {
  /** Replicas, or the HPA's minimum when `hpa` is set. */
  replicas: number;
  /** Autoscale on CPU: the HPA then owns the replica count. Default: none (fixed `replicas`). */
  hpa?: { maxReplicas: number; cpuPercent: number };
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

export function serviceDeployment(
  ctx: KubeContext,
  spec: PartSpec,
  a: ServiceDeploymentArgs,
): ServiceWorkload {
  const kind = spec.role;
  const labels = roleLabels(ctx.stack, kind);
  const [port] = containerPorts(spec);
  const probes = probePaths(spec);
  const deployment = new k8s.apps.v1.Deployment(
    kind,
    {
      metadata: meta(ctx, kind, kind),
      spec: {
        // With an HPA the autoscaler owns the count; declaring it here would fight it on every `up`.
        ...(a.hpa ? {} : { replicas: a.replicas }),
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                ...containerBase(spec),
                env: containerEnv(spec, a.secretName),
                livenessProbe: { httpGet: probes.live, periodSeconds: 10, failureThreshold: 3 },
                // /ready includes a 1 s JetStream round trip, which every replica shares. A new pod gets
                // traffic only once it passes (a pod starts unready), but a serving one leaves the Service
                // only after 2 minutes of failures: a NATS cluster re-forming after a restart kept /ready
                // at 503 for over 30 s on kube-local, which took every gateway out at once, so clients got
                // "connection refused" instead of the gateway's own 503 and Retry-After.
                readinessProbe: {
                  httpGet: probes.ready,
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 24,
                },
              },
            ],
          },
        },
      },
    },
    res(ctx, a.dependsOn),
  );
  const service = new k8s.core.v1.Service(
    `${kind}-service`,
    {
      // The job label names the Prometheus job (ServiceMonitor jobLabel) as monitoring/'s rules expect.
      metadata: meta(ctx, kind, kind, { "proving-ground/job": a.job }),
      spec: {
        type: a.serviceType ?? "ClusterIP",
        selector: labels,
        ports: [{ name: port.name, port: port.containerPort, targetPort: port.name }],
      },
    },
    res(ctx),
  );
  disruptionBudget(ctx, kind);
  if (a.hpa) {
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${kind}-hpa`,
      {
        metadata: meta(ctx, kind, kind),
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          minReplicas: a.replicas,
          maxReplicas: a.hpa.maxReplicas,
          metrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                target: { type: "Utilization", averageUtilization: a.hpa.cpuPercent },
              },
            },
          ],
        },
      },
      res(ctx),
    );
  }
  return { deployment, service };
}
