// The Kubernetes realizer's shared pieces: labels, metadata, resources from limits, container env and
// config-file ConfigMaps from a part spec (components/spec.ts). The workload functions beside this file
// (nats.ts, service.ts, monitoring.ts) create the objects with the names the kubernetes target has always
// used, so moving them here changed no URN (they are not wrapped in a ComponentResource).
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { imageName, isHttpCheck, type HttpCheck, type PartSpec } from "../spec";
import type { Limits } from "../types";

/** Where the workloads go: the stack (labels), the namespace and the provider. */
export interface KubeContext {
  /** Stack name: the `app.kubernetes.io/instance` label of every object. */
  stack: string;
  /** Namespace name, as the stack's DNS names use it. */
  namespace: string;
  /** The Namespace object's name output (objects depend on the namespace through it). */
  namespaceName: pulumi.Input<string>;
  /** Explicit provider; default the ambient one. */
  provider?: k8s.Provider;
}

/** Labels every object carries; the chaos selector is the instance + name pair. */
export function roleLabels(stack: string, role: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": role,
    "app.kubernetes.io/instance": stack,
    "app.kubernetes.io/part-of": "proving-ground",
  };
}

export function roleSelector(stack: string, role: string): string {
  return `app.kubernetes.io/instance=${stack},app.kubernetes.io/name=${role}`;
}

/** Container resources: limits from config; requests = half the CPU and all the memory (no OOM overcommit). */
export function resources(l: Limits) {
  const cpuMilli = Math.max(1, Math.round(l.cpus * 1000));
  return {
    requests: { cpu: `${Math.max(1, Math.round(cpuMilli / 2))}m`, memory: `${l.memoryMb}Mi` },
    limits: { cpu: `${cpuMilli}m`, memory: `${l.memoryMb}Mi` },
  };
}

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const SECURE = { allowPrivilegeEscalation: false, privileged: false };

/** Object metadata: name, the namespace, the role's labels (plus extra ones). */
export function meta(ctx: KubeContext, name: string, role: string, extra: Record<string, string> = {}) {
  return { name, namespace: ctx.namespaceName, labels: { ...roleLabels(ctx.stack, role), ...extra } };
}

/** Resource options: the provider, and an explicit dependency where one is given. */
export function res(ctx: KubeContext, dependsOn?: pulumi.Resource): pulumi.CustomResourceOptions {
  return { provider: ctx.provider, ...(dependsOn ? { dependsOn: [dependsOn] } : {}) };
}

/** The spec's environment: plain values, secrets as references into the Secret `secretName`. */
export function containerEnv(spec: PartSpec, secretName: pulumi.Input<string>) {
  return spec.env.map((e) =>
    "secret" in e
      ? { name: e.name, valueFrom: { secretKeyRef: { name: secretName, key: e.secret.key } } }
      : { name: e.name, value: e.value },
  );
}

/**
 * The container fields every workload shares: name (the role), image, the spec's ports, resources from
 * its limits (else `defaultLimits`) and the security context.
 */
export function containerBase(spec: PartSpec, defaultLimits?: Limits) {
  const limits = spec.limits ?? defaultLimits;
  if (!limits) throw new Error(`${spec.role}: no limits`);
  return {
    name: spec.role,
    image: imageName(spec.image),
    ports: containerPorts(spec),
    resources: resources(limits),
    securityContext: SECURE,
  };
}

/** The spec's named ports as container ports. */
export function containerPorts(spec: PartSpec) {
  return spec.ports.map((p) => ({ name: p.name, containerPort: p.port }));
}

/** An HTTP check as an httpGet probe on the named port it targets. */
export function httpGet(spec: PartSpec, check: HttpCheck) {
  const port = spec.ports.find((p) => p.port === check.port);
  if (!port) throw new Error(`${spec.role}: no named port ${check.port} for ${check.path}`);
  return { path: check.path, port: port.name };
}

/** Liveness and readiness httpGet probes of a spec (its `probes` paths, else its health check). */
export function probePaths(spec: PartSpec): {
  live: ReturnType<typeof httpGet>;
  ready: ReturnType<typeof httpGet>;
} {
  if (!isHttpCheck(spec.health)) throw new Error(`${spec.role}: a command health check has no HTTP probe`);
  const h = spec.health;
  const live = spec.probes?.live ?? h.path;
  const ready = spec.probes?.ready ?? h.path;
  return {
    live: httpGet(spec, { port: h.port, path: live }),
    ready: httpGet(spec, { port: h.port, path: ready }),
  };
}

/** A ConfigMap per file group of the spec (`<role>-<group>`), mounted at the group's directory. */
export interface ConfigVolume {
  name: string;
  configMap: { name: pulumi.Input<string> };
  mountPath: string;
}

/**
 * Creates the spec's ConfigMaps (one per file group, named `<role>-<group>`, keys = file names) and
 * returns them as pod volumes with their mount paths, in the order of the groups' first files.
 */
export function configVolumes(ctx: KubeContext, spec: PartSpec): ConfigVolume[] {
  const groups = new Map<string, { dir: string; data: Record<string, string> }>();
  for (const f of spec.files) {
    const group = f.group ?? "config";
    const dir = path.posix.dirname(f.path);
    const g = groups.get(group) ?? { dir, data: {} };
    if (g.dir !== dir) throw new Error(`${spec.role}: files of group ${group} in ${g.dir} and ${dir}`);
    g.data[path.posix.basename(f.path)] = f.content;
    groups.set(group, g);
  }
  return [...groups].map(([group, g]) => {
    const name = `${spec.role}-${group}`;
    const cm = new k8s.core.v1.ConfigMap(
      name,
      { metadata: meta(ctx, name, spec.role), data: g.data },
      res(ctx),
    );
    return { name: group, configMap: { name: cm.metadata.name }, mountPath: g.dir };
  });
}

/** A PodDisruptionBudget allowing one pod of the role down at a time. */
export function disruptionBudget(ctx: KubeContext, role: string): k8s.policy.v1.PodDisruptionBudget {
  return new k8s.policy.v1.PodDisruptionBudget(
    `${role}-pdb`,
    // One at a time: keeps NATS quorum (2 of 3) and at least one replica of each service serving.
    {
      metadata: meta(ctx, role, role),
      spec: { maxUnavailable: 1, selector: { matchLabels: roleLabels(ctx.stack, role) } },
    },
    res(ctx),
  );
}
