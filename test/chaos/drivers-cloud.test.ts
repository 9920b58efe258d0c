// The kubernetes and ssm chaos drivers against recorded API calls: fakes that keep a little state
// (pods, replicas, container states) so the drivers' waits and parsing are exercised, not just the calls.
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import {
  KubernetesDriver,
  kubernetesDriverFromKubeconfig,
  type KubePod,
  type KubernetesApi,
  type KubeWorkload,
} from "../../tooling/drivers/kubernetes";
import {
  SsmDriver,
  runOnHost,
  ssmDriverFromSdk,
  type SsmApi,
  type SendCommandInput,
} from "../../tooling/drivers/ssm";
import { openDriver } from "../../tooling/drivers/index";
import type { StackOutputs } from "../../stacks/outputs";
import { bareOutputs } from "../support/outputs-fixture";

const base = bareOutputs("t");

/**
 * A fake cluster: workloads with replica counts, pods that a "controller" reconciles on every list. Pods a
 * scale-down removes stay listed as terminating until the next reconcile, as a real one's linger for their
 * grace period.
 */
class FakeCluster implements KubernetesApi {
  calls: string[] = [];
  private seq = 0;
  pods = new Map<string, KubePod[]>();
  constructor(public workloads: Map<string, KubeWorkload & { selector: string }>) {
    for (const w of workloads.values()) this.pods.set(w.selector, []);
    this.reconcile();
  }
  private reconcile() {
    for (const w of this.workloads.values()) {
      const live = this.pods.get(w.selector)!.filter((p) => !p.deleting);
      const terminating: KubePod[] = [];
      while (live.length > w.replicas) terminating.push({ ...live.pop()!, deleting: true });
      for (let i = 0; live.length < w.replicas; i++) {
        const name = w.kind === "StatefulSet" ? `${w.name}-${i}` : `${w.name}-${(this.seq + 1).toString(36)}`;
        if (live.some((p) => p.name === name)) continue;
        // New pods start Pending and become Running on the next list (so waits are exercised).
        live.push({ name, uid: `uid-${++this.seq}`, phase: "Pending", deleting: false });
      }
      this.pods.set(w.selector, [...live, ...terminating]);
    }
  }
  async listPods(ns: string, sel: string) {
    this.calls.push(`listPods ${ns} ${sel}`);
    const out = this.pods.get(sel)!.map((p) => ({ ...p }));
    for (const p of this.pods.get(sel)!) if (p.phase === "Pending") p.phase = "Running";
    this.reconcile();
    return out;
  }
  async deletePod(ns: string, name: string, grace?: number) {
    this.calls.push(`deletePod ${ns} ${name} grace=${grace}`);
    for (const pods of this.pods.values()) for (const p of pods) if (p.name === name) p.deleting = true;
  }
  async listWorkloads(ns: string, sel: string) {
    this.calls.push(`listWorkloads ${ns} ${sel}`);
    return [...this.workloads.values()]
      .filter((w) => w.selector === sel)
      .map(({ kind, name, replicas }) => ({ kind, name, replicas }));
  }
  async scale(ns: string, kind: string, name: string, replicas: number) {
    this.calls.push(`scale ${ns} ${kind}/${name} ${replicas}`);
    this.workloads.get(name)!.replicas = replicas;
    this.reconcile();
  }
}

const k8sOutputs: StackOutputs = {
  ...base,
  target: "kubernetes",
  chaosTargets: {
    nats: { driver: "kubernetes", namespace: "pg", selector: "app.kubernetes.io/component=nats" },
    gateway: { driver: "kubernetes", namespace: "pg", selector: "app.kubernetes.io/component=gateway" },
  },
};

function cluster() {
  return new FakeCluster(
    new Map([
      [
        "nats",
        {
          kind: "StatefulSet" as const,
          name: "nats",
          replicas: 3,
          selector: "app.kubernetes.io/component=nats",
        },
      ],
      [
        "gateway",
        {
          kind: "Deployment" as const,
          name: "gateway",
          replicas: 2,
          selector: "app.kubernetes.io/component=gateway",
        },
      ],
    ]),
  );
}
const noSleep = async () => undefined;

describe("kubernetes chaos driver", () => {
  it("resolves one workload per target and counts its declared replicas", async () => {
    const api = cluster();
    const d = await KubernetesDriver.connect(k8sOutputs, api, { sleep: noSleep });
    assert.equal(d.count("nats"), 3);
    assert.equal(d.count("gateway"), 2);
    assert.throws(() => d.count("router"), /chaosTargets.router/);
  });

  it("rejects a selector that matches no workload", async () => {
    const api = cluster();
    const bad = {
      ...k8sOutputs,
      chaosTargets: { router: { driver: "kubernetes" as const, namespace: "pg", selector: "x=y" } },
    };
    await assert.rejects(KubernetesDriver.connect(bad, api), /matches 0 workloads for router/);
  });

  it("kill(index) deletes that pod with no grace period; start waits for the replacement", async () => {
    const api = cluster();
    const d = await KubernetesDriver.connect(k8sOutputs, api, { sleep: noSleep });
    await d.kill({ role: "nats", index: 1 });
    assert.ok(api.calls.includes("deletePod pg nats-1 grace=0"), api.calls.join("\n"));
    await d.start({ role: "nats", index: 1 });
    assert.deepEqual(await d.running("nats"), [true, true, true]);
  });

  it("kill(role) scales to zero, deletes every pod with no grace period, and start scales back", async () => {
    const api = cluster();
    const d = await KubernetesDriver.connect(k8sOutputs, api, { sleep: noSleep });
    const pods = (await api.listPods("pg", "app.kubernetes.io/component=gateway")).map((p) => p.name);
    await d.kill({ role: "gateway" });
    assert.deepEqual(
      api.calls.filter((c) => c.startsWith("deletePod")).sort(),
      pods.map((p) => `deletePod pg ${p} grace=0`).sort(),
    );
    assert.equal(pods.length, 2);
    assert.deepEqual(await d.running("gateway"), [false, false]);
    await d.start({ role: "gateway" });
    const scales = api.calls.filter((c) => c.startsWith("scale"));
    assert.deepEqual(scales, ["scale pg Deployment/gateway 0", "scale pg Deployment/gateway 2"]);
    assert.deepEqual(await d.running("gateway"), [true, true]);
  });

  it("restart deletes gracefully and waits until a new pod (new uid) runs", async () => {
    const api = cluster();
    const d = await KubernetesDriver.connect(k8sOutputs, api, { sleep: noSleep });
    await d.running("nats"); // pods become Running
    const before = api.pods.get("app.kubernetes.io/component=nats")!.map((p) => p.uid);
    await d.restart({ role: "nats", index: 0 });
    assert.ok(api.calls.includes("deletePod pg nats-0 grace=undefined"));
    const after = api.pods.get("app.kubernetes.io/component=nats")!.filter((p) => !p.deleting);
    assert.equal(after.length, 3);
    assert.ok(!after.some((p) => p.uid === before[0]), "nats-0 was replaced");
  });

  it("times out with a message naming the role when pods never run", async () => {
    const api = cluster();
    api.listPods = async () => [];
    const d = await KubernetesDriver.connect(k8sOutputs, api, { sleep: noSleep, timeoutMs: 0 });
    await assert.rejects(d.start({ role: "gateway" }), /gateway has 0\/2 running pods/);
  });

  it("rejects pause/unpause and out-of-range indexes clearly", async () => {
    const d = await KubernetesDriver.connect(k8sOutputs, cluster(), { sleep: noSleep });
    await assert.rejects(d.pause({ role: "nats" }), /not supported/);
    await assert.rejects(d.kill({ role: "nats", index: 7 }), /index 7 is out of range/);
  });
});

/** A fake SSM: records commands, answers InvocationDoesNotExist once, then InProgress, then a result. */
class FakeSsm implements SsmApi {
  sent: SendCommandInput[] = [];
  polls = 0;
  containers = new Map<string, "running" | "exited" | "paused">();
  private results = new Map<string, { status: string; out: string; err: string }>();
  private pending = new Map<string, number>();
  async sendCommand(input: SendCommandInput) {
    this.sent.push(input);
    const id = `cmd-${this.sent.length}`;
    let out = "";
    let status = "Success";
    let err = "";
    for (const c of input.Parameters.commands) {
      const m = /^docker (kill|start|restart|pause|unpause) (?:--signal \S+ )?(\S+)$/.exec(c);
      if (m) {
        const next = {
          kill: "exited",
          start: "running",
          restart: "running",
          pause: "paused",
          unpause: "running",
        } as const;
        if (!this.containers.has(m[2])) {
          status = "Failed";
          err = `Error: No such container: ${m[2]}`;
        } else this.containers.set(m[2], next[m[1] as keyof typeof next]);
      }
      const s = /^docker inspect -f '\{\{\.State\.Running\}\} \{\{\.State\.Paused\}\}' (\S+)/.exec(c);
      if (s) {
        const st = this.containers.get(s[1]);
        out = st === "running" ? "true false\n" : st === "paused" ? "true true\n" : "false false\n";
      }
    }
    this.results.set(id, { status, out, err });
    this.pending.set(id, 2);
    return { Command: { CommandId: id } };
  }
  async getCommandInvocation({ CommandId }: { CommandId: string; InstanceId: string }) {
    this.polls++;
    const left = this.pending.get(CommandId)!;
    this.pending.set(CommandId, left - 1);
    if (left === 2) throw Object.assign(new Error("not yet"), { name: "InvocationDoesNotExist" });
    if (left === 1) return { Status: "InProgress" };
    const r = this.results.get(CommandId)!;
    return {
      Status: r.status,
      ResponseCode: r.status === "Success" ? 0 : 1,
      StandardOutputContent: r.out,
      StandardErrorContent: r.err,
    };
  }
}

const ssmOutputs: StackOutputs = {
  ...base,
  target: "aws",
  chaosTargets: {
    nats: {
      driver: "ssm",
      region: "eu-west-1",
      instanceIds: ["i-a", "i-b", "i-c"],
      containers: ["pg-nats-0", "pg-nats-1", "pg-nats-2"],
      networks: ["pg-net"],
    },
  },
};

describe("ssm chaos driver", () => {
  function setup() {
    const api = new FakeSsm();
    for (const c of ["pg-nats-0", "pg-nats-1", "pg-nats-2"]) api.containers.set(c, "running");
    const regions: string[] = [];
    const d = new SsmDriver(ssmOutputs, (r) => (regions.push(r), api), { sleep: noSleep });
    return { api, d, regions };
  }

  it("runOnHost sends AWS-RunShellScript to one instance and returns stdout after polling", async () => {
    const api = new FakeSsm();
    api.containers.set("x", "running");
    const out = await runOnHost(api, "i-1", ["docker inspect -f '{{.State.Running}} {{.State.Paused}}' x"], {
      sleep: noSleep,
      commandTimeoutSeconds: 30,
    });
    assert.equal(out, "true false\n");
    assert.equal(api.sent[0].DocumentName, "AWS-RunShellScript");
    assert.deepEqual(api.sent[0].InstanceIds, ["i-1"]);
    assert.deepEqual(api.sent[0].Parameters.executionTimeout, ["30"]);
    assert.equal(api.polls, 3, "retried InvocationDoesNotExist, waited through InProgress");
  });

  it("kill(index) runs docker kill on that instance only, in the target's region", async () => {
    const { api, d, regions } = setup();
    await d.kill({ role: "nats", index: 2 });
    assert.equal(api.sent.length, 1);
    assert.deepEqual(api.sent[0].InstanceIds, ["i-c"]);
    assert.deepEqual(api.sent[0].Parameters.commands, ["docker kill --signal SIGKILL pg-nats-2"]);
    assert.deepEqual(regions, ["eu-west-1"]);
    assert.deepEqual(await d.running("nats"), [true, true, false]);
    await d.start({ role: "nats", index: 2 });
    assert.deepEqual(await d.running("nats"), [true, true, true]);
  });

  it("role-wide pause reaches every instance and running() reports paused as not running", async () => {
    const { api, d } = setup();
    await d.pause({ role: "nats" });
    assert.deepEqual(api.sent.map((s) => s.InstanceIds[0]).sort(), ["i-a", "i-b", "i-c"]);
    assert.deepEqual(await d.running("nats"), [false, false, false]);
    await d.unpause({ role: "nats" });
    assert.deepEqual(await d.running("nats"), [true, true, true]);
  });

  it("disconnect names the stack network; squeeze saves and restores declared limits", async () => {
    const { api, d } = setup();
    await d.disconnect({ role: "nats", index: 0 });
    assert.deepEqual(api.sent[0].Parameters.commands, ["docker network disconnect --force pg-net pg-nats-0"]);
    await d.squeeze({ role: "nats", index: 0 }, { cpus: 0.1, memoryBytes: 64 * 1024 * 1024 });
    const sq = api.sent[1].Parameters.commands;
    assert.match(sq[0], /docker inspect .*NanoCpus.* > \/var\/tmp\/pg-chaos-limits-pg-nats-0/);
    assert.equal(sq[1], "docker update --cpus 0.1 --memory 67108864 --memory-swap 67108864 pg-nats-0");
    await d.squeeze({ role: "nats", index: 0 }, undefined);
    assert.match(
      api.sent[2].Parameters.commands.join("\n"),
      /read nano mem < \/var\/tmp\/pg-chaos-limits-pg-nats-0/,
    );
  });

  it("surfaces a failed command with its stderr", async () => {
    const { api, d } = setup();
    api.containers.delete("pg-nats-1");
    await assert.rejects(
      d.restart({ role: "nats", index: 1 }),
      /ended Failed \(exit 1\): Error: No such container: pg-nats-1/,
    );
  });

  it("validates the target: missing fields, mismatched lengths, unsafe names", () => {
    const mk = (t: object) =>
      new SsmDriver({ ...ssmOutputs, chaosTargets: { nats: t as never } }, () => new FakeSsm());
    assert.throws(
      () => mk({ driver: "ssm", instanceIds: ["i-a"] }).count("nats"),
      /needs driver "ssm", instanceIds, region and containers/,
    );
    assert.throws(
      () => mk({ driver: "ssm", region: "r", instanceIds: ["i-a", "i-b"], containers: ["c"] }).count("nats"),
      /1 containers for 2 instances/,
    );
    assert.throws(
      () =>
        mk({ driver: "ssm", region: "r", instanceIds: ["i-a"], containers: ["c; rm -rf /"] }).count("nats"),
      /unsafe container/,
    );
  });
});

/** No kubeconfig here: $KUBECONFIG names a file that does not exist while `fn` runs. */
async function withoutKubeconfig(fn: (file: string) => Promise<void>): Promise<void> {
  const saved = process.env.KUBECONFIG;
  const file = path.join(os.tmpdir(), `pg-no-kubeconfig-${process.pid}`, "config");
  process.env.KUBECONFIG = file;
  try {
    await fn(file);
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

describe("cloud chaos drivers on their real clients", () => {
  it("ssm names the SDK to install; kubernetes needs none and names the kubeconfig it cannot read", async () => {
    assert.throws(() => ssmDriverFromSdk(ssmOutputs), /npm install --no-save @aws-sdk\/client-ssm/);
    await withoutKubeconfig(async (file) => {
      await assert.rejects(kubernetesDriverFromKubeconfig(k8sOutputs), (e: Error) => {
        assert.ok(e.message.startsWith(`kubeconfig ${file}: cannot be read`), e.message);
        assert.match(e.message, /ENOENT/);
        return true;
      });
    });
  });
});

describe("driver factory for cloud stacks", () => {
  it("routes kubernetes stacks to the kubeconfig-backed driver and ssm stacks to the SDK-backed one", async () => {
    const k8s: StackOutputs = {
      ...base,
      target: "kubernetes",
      chaosTargets: { nats: { driver: "kubernetes", namespace: "beamline", selector: "app=nats" } },
    };
    const ssm: StackOutputs = {
      ...base,
      target: "aws",
      chaosTargets: { nats: { driver: "ssm", instanceIds: ["i-1"], region: "eu-west-1" } },
    };
    await withoutKubeconfig((file) =>
      assert.rejects(openDriver(k8s), (e: Error) =>
        e.message.startsWith(`kubeconfig ${file}: cannot be read`),
      ),
    );
    await assert.rejects(openDriver(ssm), /@aws-sdk\/client-ssm is not installed/);
  });
});
