// The single-node cluster of scripts/kube-local.sh on this machine, for real: etcd, the control plane, a
// kubelet on its own containerd, kube-proxy and the CNI bridge come up; a pod from a local image runs and
// answers through a ClusterIP Service from the host (kube-proxy's rules); `down` leaves no process,
// interface, network namespace, iptables chain, mount or file behind.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { REPO_ROOT } from "../../scripts/engine";
import { waitFor } from "../../tooling/local/wait";

const DIR = process.env.KUBE_LOCAL_DIR ?? "/var/lib/pg-kube-local";
const API = `https://127.0.0.1:${process.env.KUBE_LOCAL_API_PORT ?? "16443"}`;
const IMAGE = "proving-ground/base:bookworm";

function sh(args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("bash", args, { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

let agent: https.Agent | undefined;
function api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  agent ??= new https.Agent({
    ca: fs.readFileSync(path.join(DIR, "pki/ca.crt")),
    cert: fs.readFileSync(path.join(DIR, "pki/admin.crt")),
    key: fs.readFileSync(path.join(DIR, "pki/admin.key")),
  });
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${API}${p}`,
      { method, agent, headers: { "Content-Type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("scripts/kube-local.sh: a real single-node cluster (Kubernetes v1.34.4 from its Go modules)", function () {
  this.timeout(240_000);
  let up: { code: number; out: string };

  before(async () => {
    await sh(["scripts/kube-local.sh", "down"], 120_000);
    up = await sh(["scripts/kube-local.sh", "up"], 200_000);
  });

  after(async () => {
    agent?.destroy();
    await sh(["scripts/kube-local.sh", "down"], 120_000);
  });

  it("comes up: the node is Ready, with the kubelet v1.34.4 on containerd", async () => {
    assert.equal(up.code, 0, up.out);
    const node = (await api("GET", "/api/v1/nodes/pg-kube-local")).body;
    const ready = node.status.conditions.find((c: { type: string }) => c.type === "Ready");
    assert.equal(ready.status, "True", JSON.stringify(node.status.conditions));
    assert.equal(node.status.nodeInfo.kubeletVersion, "v1.34.4");
    assert.match(node.status.nodeInfo.containerRuntimeVersion, /^containerd:\/\//);
  });

  it("runs a pod from a local image and reaches it through a ClusterIP Service from the host", async () => {
    const imported = await sh(
      ["-c", `docker save ${IMAGE} | ctr --address ${DIR}/containerd.sock -n k8s.io images import -`],
      120_000,
    );
    assert.equal(imported.code, 0, imported.out);
    const labels = { app: "hello" };
    const pod = await api("POST", "/api/v1/namespaces/default/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "hello", labels },
      spec: {
        automountServiceAccountToken: false,
        containers: [
          {
            name: "hello",
            image: IMAGE,
            imagePullPolicy: "Never",
            command: [
              "node",
              "-e",
              'require("http").createServer((q, r) => r.end("hello from a pod")).listen(8080)',
            ],
            readinessProbe: { httpGet: { port: 8080, path: "/" }, periodSeconds: 1 },
          },
        ],
      },
    });
    assert.equal(pod.status, 201, JSON.stringify(pod.body));
    const svc = await api("POST", "/api/v1/namespaces/default/services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "hello" },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    });
    assert.equal(svc.status, 201, JSON.stringify(svc.body));
    const ip = await waitFor(
      "the pod Ready",
      async () => {
        const s = (await api("GET", "/api/v1/namespaces/default/pods/hello")).body.status;
        return s.containerStatuses?.[0]?.ready === true && (s.podIP as string);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    assert.match(ip, /^10\.244\.0\.\d+$/, "an address of the CNI bridge's pod range");
    await waitFor(
      "the Service's EndpointSlice to list the pod ready",
      async () => {
        const slices = (
          await api(
            "GET",
            "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhello",
          )
        ).body.items;
        return slices.some((x: { endpoints?: { addresses: string[]; conditions: { ready?: boolean } }[] }) =>
          (x.endpoints ?? []).some((e) => e.addresses.includes(ip) && e.conditions.ready),
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // A new connection per attempt (http.get without an agent): fetch's connection pool kept failing for
    // 30 s after kube-proxy's rules were in place while curl, at the same moment, got the answer.
    const get = (url: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () =>
            res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        });
        req.on("timeout", () => req.destroy(new Error("no answer in 2 s")));
        req.on("error", reject);
      });
    const answer = await waitFor(
      "the Service to answer through kube-proxy",
      () => get(`http://${svc.body.spec.clusterIP}/`),
      {
        timeoutMs: 30_000,
        intervalMs: 500,
      },
    ).catch(async (e: Error) => {
      const status = await sh(["scripts/kube-local.sh", "status"], 10_000);
      const rules = await sh(["-c", `iptables-save -t nat | grep -F '${svc.body.spec.clusterIP}'`], 10_000);
      const proxyLog = fs.readFileSync(path.join(DIR, "logs/kube-proxy.log"), "utf8").split("\n").slice(-15);
      throw new Error(`${e.message}\n${status.out}\n${rules.out}\nkube-proxy log:\n${proxyLog.join("\n")}`);
    });
    assert.equal(answer, "hello from a pod");
  });

  it("down removes every process, interface, network namespace, iptables chain, mount and file", async () => {
    const down = await sh(["scripts/kube-local.sh", "down"], 120_000);
    assert.equal(down.code, 0, down.out);
    const left = await sh(["scripts/kube-local.sh", "leftovers"], 30_000);
    assert.equal(left.code, 0, left.out);
    assert.match(left.out, /nothing left/);
  });
});
