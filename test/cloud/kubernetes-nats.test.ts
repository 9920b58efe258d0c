// The kubernetes target's single nats.conf (one ConfigMap for every pod, server name from $POD_NAME) run
// for real: three nats-server processes on free loopback ports, each with POD_NAME=nats-i as the
// StatefulSet sets it, form a JetStream cluster and pass the stack's own probe path. The only edits to
// the rendered file are the ones Kubernetes does for us: addresses (pod DNS -> 127.0.0.1:<port>) and
// the PVC mount (-> a temp dir).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderKubernetesNatsConfig } from "../../components/kubernetes/nats";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { httpOk, waitFor } from "../../tooling/local/wait";

describe("kubernetes target: the shared nats.conf forms a real 3-node JetStream cluster", function () {
  this.timeout(60000);
  const nodes = ["nats-0", "nats-1", "nats-2"];
  const procs: ManagedProcess[] = [];
  let dir: string;
  let ports: { client: number; cluster: number; monitor: number }[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-k8s-nats-"));
    ports = [];
    for (const _ of nodes)
      ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
    const rendered = renderKubernetesNatsConfig(nodes, "k8s", "1Gi");
    for (const [i, node] of nodes.entries()) {
      let conf = rendered
        .replace("listen: 0.0.0.0:4222", `listen: 127.0.0.1:${ports[i].client}`)
        .replace("http: 0.0.0.0:8222", `http: 127.0.0.1:${ports[i].monitor}`)
        .replace("listen: 0.0.0.0:6222", `listen: 127.0.0.1:${ports[i].cluster}`)
        .replace('store_dir: "/data/jetstream"', `store_dir: "${path.join(dir, node)}"`);
      for (const [j, other] of nodes.entries())
        conf = conf.replace(`${other}:6222`, `127.0.0.1:${ports[j].cluster}`);
      const file = path.join(dir, `${node}.conf`);
      fs.writeFileSync(file, conf);
      procs.push(
        new ManagedProcess(node, "nats-server", ["--config", file], {
          env: { POD_NAME: node, NATS_USER: "beamline", NATS_PASSWORD: "pw-under-test" },
        }),
      );
    }
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes each server name from POD_NAME and caps JetStream at 80% of the volume", async () => {
    for (const [i, node] of nodes.entries()) {
      const varz = await waitFor(`${node} /varz`, async () => {
        const r = await fetch(`http://127.0.0.1:${ports[i].monitor}/varz`).catch(() => undefined);
        return r?.ok
          ? ((await r.json()) as { server_name: string; jetstream?: { config?: { max_storage?: number } } })
          : undefined;
      });
      assert.equal(varz.server_name, node, procs[i].output());
      assert.equal(varz.jetstream?.config?.max_storage, Math.floor(1024 ** 3 * 0.8));
    }
  });

  it("routes to both peers and passes the stack's probe path on every node", async () => {
    for (const [i, node] of nodes.entries()) {
      await waitFor(
        `${node} routed to 2 peers`,
        async () => {
          const r = await fetch(`http://127.0.0.1:${ports[i].monitor}/routez`).catch(() => undefined);
          return r?.ok && ((await r.json()) as { num_routes: number }).num_routes >= 2;
        },
        { timeoutMs: 20000 },
      );
      // The readiness/liveness/startup probe path of the StatefulSet.
      assert.ok(
        await httpOk(`http://127.0.0.1:${ports[i].monitor}/healthz?js-enabled-only=true`),
        procs[i].output(),
      );
    }
    // Full JetStream health (meta leader elected) on every node: the cluster formed.
    for (const [i, node] of nodes.entries()) {
      await waitFor(
        `${node} JetStream healthy`,
        () => httpOk(`http://127.0.0.1:${ports[i].monitor}/healthz`),
        {
          timeoutMs: 20000,
        },
      );
    }
  });
});
