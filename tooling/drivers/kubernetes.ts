// Kubernetes chaos driver: faults on the pods of the workloads named by outputs.chaosTargets (driver
// "kubernetes": namespace + label selector). kill(one pod) deletes it with no grace period and the
// controller replaces it; kill(the whole role) scales the workload to zero and start() scales it back.
// It talks to the cluster through the small KubernetesApi interface below, so it is unit-tested against
// recorded calls; kubernetesDriverFromKubeconfig (bottom) wires it to the dependency-free client of
// tooling/kube-api.ts (node's https, the kubeconfig of $KUBECONFIG or ~/.kube/config): no SDK needed.
//
// Kubernetes has no freeze without exec'ing into images that may have no shell, so pause/unpause are
// rejected with a clear error rather than approximated.
import type { ChaosTarget, Role, StackOutputs } from "../../stacks/outputs";
import { KubeClient, kubernetesApi } from "../kube-api";
import { ChaosDriver, DriverCapability, InstanceRef, withoutReads } from "./types";

/** What the resource sampler and the log bundling get from this driver kind. */
const NO_READS = withoutReads(
  "kubernetes driver: pod resource stats and logs are not read (no metrics-server or log API client here)",
);

export interface KubePod {
  name: string;
  uid: string;
  /** status.phase: Pending, Running, Succeeded, Failed, Unknown. */
  phase: string;
  /** metadata.deletionTimestamp is set (terminating). */
  deleting: boolean;
  /** The Ready condition is True (its readiness probe passes); undefined when not known. */
  ready?: boolean;
}

export interface KubeWorkload {
  kind: "Deployment" | "StatefulSet";
  name: string;
  /** spec.replicas as declared by the stack. */
  replicas: number;
}

/** The handful of API calls the driver needs (on a real cluster: kubernetesApi of tooling/kube-api.ts). */
export interface KubernetesApi {
  listPods(namespace: string, labelSelector: string): Promise<KubePod[]>;
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void>;
  listWorkloads(namespace: string, labelSelector: string): Promise<KubeWorkload[]>;
  scale(namespace: string, kind: KubeWorkload["kind"], name: string, replicas: number): Promise<void>;
}

export interface KubernetesDriverOptions {
  /** How often to poll the API while waiting for pods (ms). */
  pollMs?: number;
  /** How long start/restart wait for pods to run (ms). */
  timeoutMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

interface Resolved {
  namespace: string;
  selector: string;
  workload: KubeWorkload;
}

export class KubernetesDriver implements ChaosDriver {
  readonly name = "kubernetes" as const;
  private readonly resolved = new Map<Role, Resolved>();
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  private constructor(
    private readonly outputs: StackOutputs,
    private readonly api: KubernetesApi,
    opts: KubernetesDriverOptions,
  ) {
    this.pollMs = opts.pollMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 180_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Looks up the workload behind every kubernetes chaos target (exactly one Deployment or StatefulSet
   * must carry the target's selector) and remembers its declared replica count for count().
   */
  static async connect(
    outputs: StackOutputs,
    api: KubernetesApi,
    opts: KubernetesDriverOptions = {},
  ): Promise<KubernetesDriver> {
    const d = new KubernetesDriver(outputs, api, opts);
    for (const [role, t] of Object.entries(outputs.chaosTargets) as [Role, ChaosTarget | undefined][]) {
      if (!t || t.driver !== "kubernetes") continue;
      if (!t.namespace || !t.selector) {
        throw new Error(`kubernetes driver: outputs.chaosTargets.${role} needs namespace and selector`);
      }
      const found = await api.listWorkloads(t.namespace, t.selector);
      if (found.length !== 1) {
        throw new Error(
          `kubernetes driver: selector "${t.selector}" in namespace ${t.namespace} matches ${found.length} workloads for ${role}, expected exactly 1`,
        );
      }
      d.resolved.set(role, { namespace: t.namespace, selector: t.selector, workload: found[0] });
    }
    return d;
  }

  private target(role: Role): Resolved {
    const r = this.resolved.get(role);
    if (!r) throw new Error(`kubernetes driver: outputs.chaosTargets.${role} is not a kubernetes target`);
    return r;
  }

  count(role: Role): number {
    return this.target(role).workload.replicas;
  }

  /** Live (not terminating) pods of the role, in name order so indexes are stable for StatefulSets. */
  private async pods(role: Role): Promise<KubePod[]> {
    const t = this.target(role);
    const pods = await this.api.listPods(t.namespace, t.selector);
    return pods.filter((p) => !p.deleting).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async pod(ref: InstanceRef & { index: number }): Promise<KubePod> {
    const pods = await this.pods(ref.role);
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= pods.length) {
      throw new Error(
        `kubernetes driver: ${ref.role} has ${pods.length} live pod(s), index ${ref.index} is out of range`,
      );
    }
    return pods[ref.index];
  }

  /**
   * Waits until the role runs its declared replicas, ready (the readiness probe passes: what a Service
   * routes to, so a started NATS node answers), none of them one of `gone` (uids).
   */
  private async waitRunning(role: Role, gone: Set<string> = new Set()): Promise<void> {
    const want = this.count(role);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const pods = await this.pods(role);
      const running = pods.filter((p) => p.phase === "Running" && p.ready !== false && !gone.has(p.uid));
      if (running.length >= want && !pods.some((p) => gone.has(p.uid))) return;
      if (Date.now() > deadline) {
        throw new Error(
          `kubernetes driver: ${role} has ${running.length}/${want} running pods after ${this.timeoutMs} ms`,
        );
      }
      await this.sleep(this.pollMs);
    }
  }

  private async scale(role: Role, replicas: number): Promise<void> {
    const t = this.target(role);
    await this.api.scale(t.namespace, t.workload.kind, t.workload.name, replicas);
  }

  async kill(ref: InstanceRef, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (ref.index === undefined) {
      await this.scale(ref.role, 0);
      // SIGKILL: the pods die now, as `docker kill` does, terminating ones included (a delete may shorten
      // a grace period the scale-down started); otherwise they get their terminationGracePeriodSeconds
      // (NATS then drains in lame-duck mode while its clients still see it up).
      if (signal === "SIGKILL") {
        const t = this.target(ref.role);
        for (const p of await this.api.listPods(t.namespace, t.selector))
          await this.api.deletePod(t.namespace, p.name, 0);
      }
      return;
    }
    const t = this.target(ref.role);
    const pod = await this.pod({ ...ref, index: ref.index });
    // SIGKILL: no grace period; anything else: the pod's own terminationGracePeriodSeconds.
    await this.api.deletePod(t.namespace, pod.name, signal === "SIGKILL" ? 0 : undefined);
  }

  async start(ref: InstanceRef): Promise<void> {
    // Scaling to the declared count is idempotent: it undoes kill(role) and is harmless after a pod
    // delete, which the controller repairs by itself.
    await this.scale(ref.role, this.count(ref.role));
    await this.waitRunning(ref.role);
  }

  async restart(ref: InstanceRef): Promise<void> {
    const t = this.target(ref.role);
    const victims =
      ref.index === undefined ? await this.pods(ref.role) : [await this.pod({ ...ref, index: ref.index })];
    for (const p of victims) await this.api.deletePod(t.namespace, p.name);
    await this.waitRunning(ref.role, new Set(victims.map((p) => p.uid)));
  }

  /** Deletes and waits for the controller's replacement (StatefulSet pods keep their PVCs). */
  async recreate(ref: InstanceRef): Promise<void> {
    await this.restart(ref);
  }

  async pause(ref: InstanceRef): Promise<void> {
    throw new Error(
      `kubernetes driver: pause(${ref.role}) is not supported (no freeze without exec); use kill/start, which scale to zero and back`,
    );
  }

  async unpause(ref: InstanceRef): Promise<void> {
    throw new Error(`kubernetes driver: unpause(${ref.role}) is not supported (see pause)`);
  }

  async capabilities(): Promise<Set<DriverCapability>> {
    return new Set<DriverCapability>(["recreate"]);
  }

  // Stats and logs are not read on this platform (the sampler and the log bundling say so).
  readonly statsSource = NO_READS.statsSource;
  readonly stats = NO_READS.stats;
  readonly logs = NO_READS.logs;

  async running(role: Role): Promise<boolean[]> {
    const pods = await this.pods(role);
    return Array.from({ length: this.count(role) }, (_, i) => pods[i]?.phase === "Running");
  }
}

export interface KubeconfigDriverOptions extends KubernetesDriverOptions {
  /**
   * The kubeconfig file (default: the chaos targets' `kubeconfig`, the file the stack's provider was
   * given; else the first path of $KUBECONFIG, else ~/.kube/config).
   */
  kubeconfig?: string;
  /** The context to use (default: the kubeconfig's current-context). */
  context?: string;
  /** Timeout of one API request (ms, default 15 s). */
  requestTimeoutMs?: number;
}

/**
 * The driver on the cluster of a kubeconfig context (default: the targets' kubeconfig, else $KUBECONFIG
 * or ~/.kube/config; its current-context), through tooling/kube-api.ts: no SDK needed. Registered as
 * the "kubernetes" driver.
 */
export async function kubernetesDriverFromKubeconfig(
  outputs: StackOutputs,
  opts: KubeconfigDriverOptions = {},
): Promise<KubernetesDriver> {
  const files = new Set(
    Object.values(outputs.chaosTargets)
      .filter((t) => t?.driver === "kubernetes" && t.kubeconfig)
      .map((t) => t!.kubeconfig!),
  );
  if (files.size > 1)
    throw new Error(
      `kubernetes driver: the chaos targets name different kubeconfigs (${[...files].join(", ")})`,
    );
  const client = KubeClient.fromKubeconfig(opts.kubeconfig ?? [...files][0], opts.context, {
    timeoutMs: opts.requestTimeoutMs,
  });
  return KubernetesDriver.connect(outputs, kubernetesApi(client), opts);
}
