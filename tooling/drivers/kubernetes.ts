// Kubernetes chaos driver: faults on the pods of the workloads named by outputs.chaosTargets (driver
// "kubernetes": namespace + label selector). kill(one pod) deletes it with no grace period and the
// controller replaces it; kill(the whole role) scales the workload to zero and start() scales it back.
// It talks to the cluster through the small KubernetesApi interface below, so it is unit-tested against
// recorded calls and needs no SDK here; kubernetesDriverFromSdk (bottom) wires @kubernetes/client-node.
//
// Kubernetes has no freeze without exec'ing into images that may have no shell, so pause/unpause are
// rejected with a clear error rather than approximated.
import type { ChaosTarget, Role, StackOutputs } from "../../stacks/outputs";
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
}

export interface KubeWorkload {
  kind: "Deployment" | "StatefulSet";
  name: string;
  /** spec.replicas as declared by the stack. */
  replicas: number;
}

/** The handful of API calls the driver needs (see the wiring example at the top of this file). */
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

  /** Waits until the role runs its declared replicas, none of them one of `gone` (uids). */
  private async waitRunning(role: Role, gone: Set<string> = new Set()): Promise<void> {
    const want = this.count(role);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const pods = await this.pods(role);
      const running = pods.filter((p) => p.phase === "Running" && !gone.has(p.uid));
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

/**
 * The driver on @kubernetes/client-node (1.x, current kubeconfig context), for
 * `registerDriver("kubernetes", kubernetesDriverFromSdk)`. Not a dependency of this repository; install
 * it where the cluster is reachable with `npm install --no-save @kubernetes/client-node`.
 */
export async function kubernetesDriverFromSdk(
  outputs: StackOutputs,
  opts: KubernetesDriverOptions = {},
): Promise<KubernetesDriver> {
  let k8s: any;
  try {
    k8s = require("@kubernetes/client-node");
  } catch {
    throw new Error(
      'kubernetes chaos driver: @kubernetes/client-node is not installed (run "npm install --no-save @kubernetes/client-node")',
    );
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
  const api: KubernetesApi = {
    listPods: async (namespace, labelSelector) =>
      (await core.listNamespacedPod({ namespace, labelSelector })).items.map((p: any) => ({
        name: p.metadata.name,
        uid: p.metadata.uid,
        phase: p.status?.phase ?? "Unknown",
        deleting: !!p.metadata.deletionTimestamp,
      })),
    deletePod: async (namespace, name, gracePeriodSeconds) => {
      await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds });
    },
    listWorkloads: async (namespace, labelSelector) => [
      ...(await apps.listNamespacedDeployment({ namespace, labelSelector })).items.map((d: any) => ({
        kind: "Deployment" as const,
        name: d.metadata.name,
        replicas: d.spec?.replicas ?? 1,
      })),
      ...(await apps.listNamespacedStatefulSet({ namespace, labelSelector })).items.map((s: any) => ({
        kind: "StatefulSet" as const,
        name: s.metadata.name,
        replicas: s.spec?.replicas ?? 1,
      })),
    ],
    scale: async (namespace, kind, name, replicas) => {
      const body = { spec: { replicas } };
      if (kind === "Deployment")
        await apps.patchNamespacedDeploymentScale({ namespace, name, body }, mergePatch);
      else await apps.patchNamespacedStatefulSetScale({ namespace, name, body }, mergePatch);
    },
  };
  return KubernetesDriver.connect(outputs, api, opts);
}
