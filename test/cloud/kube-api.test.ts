// tooling/kube-api.ts, the kubernetes chaos driver's own API client (node's https, no SDK), against a
// real kube-apiserver v1.34.4 with etcd on loopback (tooling/local/kube-apiserver.ts; the binaries of
// scripts/build-kube-local.sh, without them it fails and names that script). The client reads kubeconfig
// files written here for the server's admin certificate (paths relative to the kubeconfig, and -data).
// No controller-manager, scheduler or kubelet runs: the Namespace, workloads and Pods are created
// directly, no pod ever runs (phase Pending), scaling changes spec.replicas only, and the objects
// Kubernetes would add to every namespace (ConfigMap kube-root-ca.crt, ServiceAccount default) are
// created by the test so that namespaceLeftovers is seen leaving them out.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import type { StackOutputs } from "../../stacks/outputs";
import { openDriver } from "../../tooling/drivers/index";
import { KubernetesDriver, kubernetesDriverFromKubeconfig } from "../../tooling/drivers/kubernetes";
import {
  defaultKubeconfigPath,
  KubeApiError,
  KubeClient,
  kubernetesApi,
  loadKubeconfig,
  namespaceLeftovers,
} from "../../tooling/kube-api";
import { KubeApiServer, type KubeResponse } from "../../tooling/local/kube-apiserver";
import { bareOutputs, stopKubeApiServer } from "../support/outputs-fixture";

const NS = "pg-kube-api";
const PART_OF = "app.kubernetes.io/part-of=pg-kube-api-test";
const NATS = "app.kubernetes.io/component=nats";
const GATEWAY = "app.kubernetes.io/component=gateway";
const IMAGE = "registry.invalid/pg/none:1";
const NODE = "node-that-is-not-there";

const labels = (component: string) => ({
  "app.kubernetes.io/part-of": "pg-kube-api-test",
  "app.kubernetes.io/component": component,
});
const template = (component: string) => ({
  metadata: { labels: labels(component) },
  spec: { containers: [{ name: "c", image: IMAGE }] },
});
const meta = (name: string, component = "misc") => ({ name, namespace: NS, labels: labels(component) });

/** What the test creates in NS: [collection path, manifest], in order. */
const OBJECTS: [string, Record<string, unknown>][] = [
  // What the controller-manager puts into every namespace (it does not run here); pods need the
  // ServiceAccount default (admission refuses them without it).
  [
    "/api/v1/namespaces/pg-kube-api/configmaps",
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-root-ca.crt" }, data: { "ca.crt": "x" } },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/serviceaccounts",
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } },
  ],
  [
    "/apis/apps/v1/namespaces/pg-kube-api/deployments",
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("gateway", "gateway"),
      spec: { replicas: 2, selector: { matchLabels: labels("gateway") }, template: template("gateway") },
    },
  ],
  [
    "/apis/apps/v1/namespaces/pg-kube-api/statefulsets",
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: meta("nats", "nats"),
      spec: {
        replicas: 3,
        serviceName: "nats",
        selector: { matchLabels: labels("nats") },
        template: template("nats"),
      },
    },
  ],
  // The StatefulSet's pods as its controller would name them, and one the selector must not match; all
  // bound to a node (no Node object, no kubelet), so a delete with a grace period leaves them terminating.
  ...["nats-0", "nats-1"].map((name): [string, Record<string, unknown>] => [
    "/api/v1/namespaces/pg-kube-api/pods",
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta(name, "nats"),
      spec: { ...template("nats").spec, nodeName: NODE },
    },
  ]),
  [
    "/api/v1/namespaces/pg-kube-api/pods",
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta("loner"),
      spec: { ...template("misc").spec, nodeName: NODE },
    },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/services",
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta("nats", "nats"),
      spec: { selector: labels("nats"), ports: [{ name: "client", port: 4222 }] },
    },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/configmaps",
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("nats-config"),
      data: { "nats.conf": "port: 4222" },
    },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/secrets",
    { apiVersion: "v1", kind: "Secret", metadata: meta("nats-auth"), stringData: { password: "pw" } },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/serviceaccounts",
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("prometheus") },
  ],
  [
    "/api/v1/namespaces/pg-kube-api/persistentvolumeclaims",
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta("data-nats-0", "nats"),
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
    },
  ],
  [
    "/apis/apps/v1/namespaces/pg-kube-api/replicasets",
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta("gateway-5d8f", "gateway"),
      spec: { replicas: 0, selector: { matchLabels: labels("gateway") }, template: template("gateway") },
    },
  ],
  [
    "/apis/policy/v1/namespaces/pg-kube-api/poddisruptionbudgets",
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta("nats", "nats"),
      spec: { maxUnavailable: 1, selector: { matchLabels: labels("nats") } },
    },
  ],
  [
    "/apis/autoscaling/v2/namespaces/pg-kube-api/horizontalpodautoscalers",
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta("gateway", "gateway"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "gateway" },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
          },
        ],
      },
    },
  ],
];

const base = bareOutputs("kube-api-test");
const outputs: StackOutputs = {
  ...base,
  target: "kubernetes",
  chaosTargets: {
    nats: { driver: "kubernetes", namespace: NS, selector: NATS },
    gateway: { driver: "kubernetes", namespace: NS, selector: GATEWAY },
  },
};

describe("tooling/kube-api.ts against a real kube-apiserver: kubeconfig, requests, the chaos driver's API, leftovers", function () {
  this.timeout(180000);
  let server: KubeApiServer;
  let tmp: string;
  /** The kubeconfig with relative certificate paths (current context "files") and a context "data". */
  let kubeconfig: string;
  let client: KubeClient;
  const api = () => kubernetesApi(client);
  const savedKubeconfig = process.env.KUBECONFIG;
  const explain = (r: KubeResponse) => `${r.status} ${r.body?.message ?? JSON.stringify(r.body)}`;
  /** Writes a kubeconfig file into tmp and returns its path. */
  const writeKubeconfig = (name: string, doc: unknown) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
  };

  before(async () => {
    server = new KubeApiServer();
    await server.start();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pg-kube-api-"));
    fs.mkdirSync(path.join(tmp, "pki"));
    for (const f of ["ca.crt", "admin.crt", "admin.key"])
      fs.copyFileSync(path.join(server.dir, f), path.join(tmp, "pki", f));
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    kubeconfig = writeKubeconfig("config", {
      apiVersion: "v1",
      kind: "Config",
      "current-context": "files",
      clusters: [
        { name: "local", cluster: { server: server.url, "certificate-authority": "pki/ca.crt" } },
        { name: "local-data", cluster: { server: server.url, "certificate-authority-data": b64(server.ca) } },
        { name: "local-insecure", cluster: { server: server.url, "insecure-skip-tls-verify": true } },
        { name: "local-no-ca", cluster: { server: server.url } },
      ],
      users: [
        { name: "admin", user: { "client-certificate": "pki/admin.crt", "client-key": "pki/admin.key" } },
        {
          name: "admin-data",
          user: { "client-certificate-data": b64(server.cert), "client-key-data": b64(server.key) },
        },
      ],
      contexts: [
        { name: "files", context: { cluster: "local", user: "admin" } },
        { name: "data", context: { cluster: "local-data", user: "admin-data" } },
        { name: "insecure", context: { cluster: "local-insecure", user: "admin" } },
        { name: "no-ca", context: { cluster: "local-no-ca", user: "admin" } },
      ],
    });
    client = KubeClient.fromKubeconfig(kubeconfig);
    const nsr = await server.request("POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: NS },
    });
    assert.equal(nsr.status, 201, explain(nsr));
    for (const [collection, m] of OBJECTS) {
      const r = await server.request("POST", collection, m);
      assert.equal(r.status, 201, `${collection} ${(m.metadata as { name: string }).name}: ${explain(r)}`);
    }
  });

  after(async () => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    if (!server) return;
    await stopKubeApiServer(server);
  });

  describe("kubeconfig", () => {
    it("reads the current context: server, CA and client certificate from paths relative to the file", async () => {
      const c = loadKubeconfig(kubeconfig);
      assert.equal(c.file, kubeconfig);
      assert.equal(c.context, "files");
      assert.equal(c.server, server.url);
      assert.equal(c.ca?.toString(), server.ca);
      assert.equal(c.cert?.toString(), server.cert);
      assert.equal(c.key?.toString(), server.key);
      assert.equal(c.insecureSkipTlsVerify, false);
      const v = await client.request("GET", "/version");
      assert.equal(v.gitVersion, "v1.34.4");
    });

    it("reads -data fields and insecure-skip-tls-verify of a named context; without a CA the TLS check fails", async () => {
      const data = KubeClient.fromKubeconfig(kubeconfig, "data");
      assert.equal(data.config.ca?.toString(), server.ca);
      assert.equal((await data.request("GET", "/version")).gitVersion, "v1.34.4");
      const insecure = KubeClient.fromKubeconfig(kubeconfig, "insecure");
      assert.equal(insecure.config.insecureSkipTlsVerify, true);
      assert.equal((await insecure.request("GET", "/version")).gitVersion, "v1.34.4");
      await assert.rejects(
        KubeClient.fromKubeconfig(kubeconfig, "no-ca").request("GET", "/version"),
        (e: Error) => {
          assert.match(e.message, /^GET \/version on https:\/\/127\.0\.0\.1:\d+: .*certificate/);
          return true;
        },
      );
    });

    it("takes the first file of $KUBECONFIG, else ~/.kube/config", () => {
      process.env.KUBECONFIG = [kubeconfig, path.join(tmp, "second")].join(path.delimiter);
      assert.equal(defaultKubeconfigPath(), kubeconfig);
      assert.equal(loadKubeconfig().file, kubeconfig);
      delete process.env.KUBECONFIG;
      assert.equal(defaultKubeconfigPath(), path.join(os.homedir(), ".kube", "config"));
    });

    it("a bad kubeconfig gives an error naming the file and the missing key", () => {
      const doc = YAML.parse(fs.readFileSync(kubeconfig, "utf8"));
      const variant = (name: string, edit: (d: any) => void) => {
        const d = structuredClone(doc);
        edit(d);
        return writeKubeconfig(name, d);
      };
      const cases: [string, (d: any) => void, string][] = [
        ["missing-user", (d) => (d.users = []), 'users has no entry named "admin"'],
        ["context-without-user", (d) => delete d.contexts[0].context.user, 'context "files" has no "user"'],
        ["no-current-context", (d) => delete d["current-context"], 'no "current-context" is set'],
        ["unknown-context", (d) => (d["current-context"] = "prod"), 'contexts has no entry named "prod"'],
        ["no-server", (d) => delete d.clusters[0].cluster.server, 'cluster "local" has no "server"'],
        [
          "cert-without-key",
          (d) => delete d.users[0].user["client-key"],
          'user "admin" has a client certificate but no "client-key" or "client-key-data"',
        ],
        [
          "exec-plugin",
          (d) => (d.users[0].user = { exec: { command: "aws" } }),
          'user "admin" authenticates with "exec", which this client does not support',
        ],
      ];
      for (const [name, edit, message] of cases) {
        const file = variant(name, edit);
        assert.throws(
          () => loadKubeconfig(file),
          (e: Error) => e.message.startsWith(`kubeconfig ${file}: ${message}`),
          name,
        );
      }
      const ca = variant(
        "ca-missing",
        (d) => (d.clusters[0].cluster["certificate-authority"] = "pki/nope.crt"),
      );
      assert.throws(
        () => loadKubeconfig(ca),
        (e: Error) =>
          e.message.startsWith(
            `kubeconfig ${ca}: cluster "local" "certificate-authority": cannot read ${tmp}/pki/nope.crt`,
          ),
      );
      const missing = path.join(tmp, "absent");
      assert.throws(
        () => loadKubeconfig(missing),
        (e: Error) => e.message.startsWith(`kubeconfig ${missing}: cannot be read`),
      );
    });
  });

  describe("requests", () => {
    it("a 404 names the status, method, path and the server's Status message", async () => {
      const p = `/api/v1/namespaces/${NS}/pods/nope`;
      await assert.rejects(client.request("GET", p), (e: KubeApiError) => {
        assert.ok(e instanceof KubeApiError);
        assert.equal(e.status, 404);
        assert.equal(e.reason, "NotFound");
        assert.equal(e.message, `GET ${p}: 404 NotFound: pods "nope" not found`);
        return true;
      });
      await assert.rejects(api().deletePod(NS, "nope", 0), {
        message: `DELETE ${p}: 404 NotFound: pods "nope" not found`,
      });
      // A group the server does not serve: a text/plain answer, shown as it is.
      await assert.rejects(client.request("GET", "/apis/monitoring.coreos.com/v1/prometheusrules"), {
        message: "GET /apis/monitoring.coreos.com/v1/prometheusrules: 404: 404 page not found",
      });
    });

    it("a refused object names the query and the server's validation message", async () => {
      await assert.rejects(
        client.request("POST", `/api/v1/namespaces/${NS}/configmaps`, {
          query: { dryRun: "All", fieldValidation: "Strict" },
          body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "Bad_Name" } },
        }),
        (e: KubeApiError) => {
          assert.equal(e.status, 422);
          assert.match(
            e.message,
            /^POST \/api\/v1\/namespaces\/pg-kube-api\/configmaps\?dryRun=All&fieldValidation=Strict: 422 Invalid: ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"/,
          );
          return true;
        },
      );
    });

    it("gives up after its timeout when the server never answers", async () => {
      const silent = net.createServer(() => undefined);
      await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const c = new KubeClient(
          { ...client.config, server: `https://127.0.0.1:${port}` },
          { timeoutMs: 300 },
        );
        const t0 = Date.now();
        await assert.rejects(c.request("GET", "/version"), {
          message: `GET /version on https://127.0.0.1:${port}: no answer in 0.3 s`,
        });
        assert.ok(Date.now() - t0 < 5000);
      } finally {
        silent.close();
      }
    });
  });

  describe("the kubernetes chaos driver's API", () => {
    it("listWorkloads: the Deployment and the StatefulSet by selector, with kinds and replicas", async () => {
      assert.deepEqual(await api().listWorkloads(NS, PART_OF), [
        { kind: "Deployment", name: "gateway", replicas: 2 },
        { kind: "StatefulSet", name: "nats", replicas: 3 },
      ]);
      assert.deepEqual(await api().listWorkloads(NS, NATS), [
        { kind: "StatefulSet", name: "nats", replicas: 3 },
      ]);
      assert.deepEqual(await api().listWorkloads(NS, "app=none"), []);
    });

    it("listPods: the labelled pods, Pending (no kubelet), not deleting", async () => {
      const pods = await api().listPods(NS, NATS);
      assert.deepEqual(
        pods
          .map((p) => ({ name: p.name, phase: p.phase, deleting: p.deleting }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: "nats-0", phase: "Pending", deleting: false },
          { name: "nats-1", phase: "Pending", deleting: false },
        ],
      );
      for (const p of pods) assert.match(p.uid, /^[0-9a-f-]{36}$/);
    });

    it("namespaceLeftovers: every object created, not kube-root-ca.crt or the default ServiceAccount; no namespace: exists false", async () => {
      const left = await namespaceLeftovers(client, NS);
      assert.equal(left.exists, true);
      assert.deepEqual(left.objects, [
        "ConfigMap/nats-config",
        "Deployment/gateway",
        "HorizontalPodAutoscaler/gateway",
        "PersistentVolumeClaim/data-nats-0",
        "Pod/loner",
        "Pod/nats-0",
        "Pod/nats-1",
        "PodDisruptionBudget/nats",
        "ReplicaSet/gateway-5d8f",
        "Secret/nats-auth",
        "Service/nats",
        "ServiceAccount/prometheus",
        "StatefulSet/nats",
      ]);
      // Both are there, and left out.
      for (const p of ["configmaps/kube-root-ca.crt", "serviceaccounts/default"]) {
        const r = await server.request("GET", `/api/v1/namespaces/${NS}/${p}`);
        assert.equal(r.status, 200, explain(r));
      }
      assert.deepEqual(await namespaceLeftovers(client, "pg-never-created"), { exists: false, objects: [] });
    });

    it("scale: a merge patch of the scale subresource sets spec.replicas (read back)", async () => {
      await api().scale(NS, "Deployment", "gateway", 5);
      await api().scale(NS, "StatefulSet", "nats", 1);
      const d = await server.request("GET", `/apis/apps/v1/namespaces/${NS}/deployments/gateway`);
      const s = await server.request("GET", `/apis/apps/v1/namespaces/${NS}/statefulsets/nats`);
      assert.equal(d.body.spec.replicas, 5);
      assert.equal(s.body.spec.replicas, 1);
      assert.deepEqual(await api().listWorkloads(NS, PART_OF), [
        { kind: "Deployment", name: "gateway", replicas: 5 },
        { kind: "StatefulSet", name: "nats", replicas: 1 },
      ]);
      await api().scale(NS, "Deployment", "gateway", 2);
      await api().scale(NS, "StatefulSet", "nats", 3);
      await assert.rejects(api().scale(NS, "StatefulSet", "nope", 1), {
        message: `PATCH /apis/apps/v1/namespaces/${NS}/statefulsets/nope/scale: 404 NotFound: statefulsets.apps "nope" not found`,
      });
    });

    it("KubernetesDriver.connect on it resolves each role by selector; kill(role) scales to zero", async () => {
      const d = await KubernetesDriver.connect(outputs, api(), { sleep: async () => undefined });
      assert.equal(d.count("nats"), 3);
      assert.equal(d.count("gateway"), 2);
      // No kubelet: the pods never run.
      assert.deepEqual(await d.running("nats"), [false, false, false]);
      await d.kill({ role: "gateway" });
      const g = await server.request("GET", `/apis/apps/v1/namespaces/${NS}/deployments/gateway`);
      assert.equal(g.body.spec.replicas, 0);
      await api().scale(NS, "Deployment", "gateway", 2);
    });

    it("the registered driver (openDriver) and kubernetesDriverFromKubeconfig read $KUBECONFIG", async () => {
      process.env.KUBECONFIG = kubeconfig;
      try {
        const d = await openDriver(outputs);
        assert.ok(d instanceof KubernetesDriver);
        assert.equal(d.count("nats"), 3);
        const e = await kubernetesDriverFromKubeconfig(outputs, { context: "data" });
        assert.equal(e.count("gateway"), 2);
      } finally {
        delete process.env.KUBECONFIG;
      }
      // A stack whose provider was given a kubeconfig names it in its targets; the driver uses that one.
      const withFile: StackOutputs = {
        ...outputs,
        chaosTargets: { nats: { driver: "kubernetes", namespace: NS, selector: NATS, kubeconfig } },
      };
      assert.equal((await kubernetesDriverFromKubeconfig(withFile)).count("nats"), 3);
    });

    it("deletePod with gracePeriodSeconds 0 removes a bound pod at once; without, it is left terminating (no kubelet)", async () => {
      const get = (name: string) => server.request("GET", `/api/v1/namespaces/${NS}/pods/${name}`);
      await api().deletePod(NS, "nats-0", 0);
      assert.equal((await get("nats-0")).status, 404, "nats-0 gone");
      assert.deepEqual(
        (await api().listPods(NS, NATS)).map((p) => [p.name, p.deleting]),
        [["nats-1", false]],
      );
      // The driver's kill(pod) goes the same way (SIGKILL: no grace period): the one live pod of nats.
      const d = await KubernetesDriver.connect(outputs, api());
      await d.kill({ role: "nats", index: 0 });
      assert.equal((await get("nats-1")).status, 404, "nats-1 gone");
      assert.deepEqual(await api().listPods(NS, NATS), []);
      // No grace period given: the pod's own (30 s); with no kubelet to confirm, it stays, terminating.
      await api().deletePod(NS, "loner");
      const loner = await get("loner");
      assert.equal(loner.status, 200, explain(loner));
      assert.equal(loner.body.metadata.deletionGracePeriodSeconds, 30);
      assert.deepEqual(
        (await api().listPods(NS, PART_OF)).map((p) => [p.name, p.deleting]),
        [["loner", true]],
      );
      assert.deepEqual(
        (await namespaceLeftovers(client, NS)).objects.filter((o) => o.startsWith("Pod/")),
        ["Pod/loner"],
      );
    });
  });
});
