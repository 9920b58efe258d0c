// The kubernetes target's manifests against a real API server: kube-apiserver v1.34.4 (k8s.io/kubernetes,
// built from its Go module by scripts/build-kube-local.sh) with etcd, on loopback. Every object the
// program creates under the strict mocks of kubernetes.test.ts (Pulumi.k8s.yaml and the variations that
// test covers) is sent as a server-side dry run with strict field validation; its Namespace is created
// for real first. Where an object goes (namespaced or not, the plural) comes from the server's discovery.
// Five broken copies of our gateway Deployment must be refused with the server's own message. No
// controller-manager, scheduler or kubelet runs: nothing here shows that a pod starts.
import assert from "node:assert/strict";
import path from "node:path";
import { Test, type Suite } from "mocha";
import { KubeApiServer, type KubeResponse } from "../../tooling/local/kube-apiserver";
import { waitFor } from "../../tooling/local/wait";
import { clearProgramEnv, type ConfigValues } from "../components/mocks";
import { stopKubeApiServer } from "../support/outputs-fixture";
import { readStackConfig } from "../support/stack-config";
import { reveal, runCloudProgram } from "./mocks";

const REPO = path.resolve(__dirname, "..", "..");
const DRY_RUN = "dryRun=All&fieldValidation=Strict";
// What kube-apiserver answers (text/plain) for a group it does not serve; kubectl and client-go show it as
// "the server could not find the requested resource".
const NOT_FOUND = "404 page not found\n";
const TOKENS = "tenant-a:tok-a-Zq8Xw3Lp9Rt6Yu1V,tenant-b:tok-b-Mn4Bv7Cx2Kj5Hg8F";

/**
 * API groups whose CRDs belong to an operator the cluster runs, not to this program: with
 * k8sPrometheusOperator, kube-prometheus-stack's. This server has no such CRD, so these objects are not
 * checked here (the Prometheus Operator's CRDs would have to be installed first).
 */
const EXTERNAL: Record<string, string> = {
  "monitoring.coreos.com": "the Prometheus Operator's CRD is the cluster's, not created by this program",
};

/** The configurations kubernetes.test.ts runs the program with. */
const VARIANTS: { name: string; config: ConfigValues; secretKeys?: string[] }[] = [
  { name: "Pulumi.k8s.yaml", config: { natsPassword: "pw-under-test" }, secretKeys: ["natsPassword"] },
  {
    name: "with tenant tokens and a rate limit",
    config: { gatewayTenantTokens: TOKENS, gatewayRateLimitRps: "100", gatewayRateLimitBurst: "200" },
    secretKeys: ["gatewayTenantTokens"],
  },
  { name: "with the Prometheus Operator", config: { k8sPrometheusOperator: "true" } },
  {
    name: "one NATS node, no HPA, LoadBalancer, storage class",
    config: {
      natsReplicas: "1",
      k8sHpaEnabled: "false",
      k8sGatewayServiceType: "LoadBalancer",
      k8sStorageClass: "gp3",
      k8sNamespace: "beamline-soak",
    },
  },
];

type Manifest = Record<string, any>;
interface KubeObject {
  variant: string;
  manifest: Manifest;
}

/** kubernetes:<group>/<version>:<Kind> and the recorded inputs (secrets revealed) -> the manifest. */
function toManifest(type: string, inputs: Record<string, unknown>): Manifest {
  const m = /^kubernetes:(.+)\/(v[0-9a-z]+):(\w+)$/.exec(type);
  if (!m) throw new Error(`not a kubernetes resource type: ${type}`);
  const [, group, version, kind] = m;
  const apiVersion = group === "core" ? version : `${group}/${version}`;
  const manifest = { ...reveal<Manifest>(inputs), apiVersion, kind };
  // The SDK records apiVersion/kind itself; ours must agree with it.
  for (const k of ["apiVersion", "kind"] as const)
    if (inputs[k] !== undefined) assert.equal(inputs[k], manifest[k], `${type} ${k}`);
  return manifest;
}

/** Every Kubernetes object of every variant, each distinct manifest once (the first variant with it). */
async function collectObjects(): Promise<KubeObject[]> {
  const base = readStackConfig(REPO, "k8s").config;
  const seen = new Set<string>();
  const out: KubeObject[] = [];
  for (const v of VARIANTS) {
    const run = await runCloudProgram({ ...base, ...v.config }, { stack: "k8s", secretKeys: v.secretKeys });
    for (const r of run.mocks.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      const manifest = toManifest(r.type, r.inputs);
      const key = JSON.stringify(manifest);
      if (!seen.has(key)) out.push({ variant: v.name, manifest });
      seen.add(key);
    }
  }
  clearProgramEnv();
  return out;
}

/** A kind in the server's discovery: its plural (`name`) and whether it is namespaced. */
type Resource = { name: string; namespaced: boolean; kind: string };

describe("kubernetes target against a real kube-apiserver: server-side dry run, strict field validation", function () {
  this.timeout(180000);
  // eslint-disable-next-line @typescript-eslint/no-this-alias
  const suite: Suite = this;
  let server: KubeApiServer;
  /** Discovery per apiVersion (/api/v1, /apis/<group>/<version>); undefined when not served. */
  const discovery = new Map<string, Promise<Resource[] | undefined>>();
  /** Answers to the objects created for real, by "<Kind> <name>". */
  const created = new Map<string, KubeResponse>();
  let objects: KubeObject[] = [];
  let gateway: Manifest;

  const prefix = (apiVersion: string) => (apiVersion === "v1" ? "/api/v1" : `/apis/${apiVersion}`);
  async function resourceOf(m: Manifest): Promise<Resource | undefined> {
    if (!discovery.has(m.apiVersion))
      discovery.set(
        m.apiVersion,
        server
          .request("GET", prefix(m.apiVersion))
          .then((r) => (r.status === 200 ? r.body.resources : undefined)),
      );
    const list = await discovery.get(m.apiVersion)!;
    return list?.find((x) => x.kind === m.kind && !x.name.includes("/"));
  }
  /** The object's collection URL, from discovery (a kind not served: its namespaced URL). */
  async function collection(m: Manifest): Promise<string> {
    const r = await resourceOf(m);
    const ns = (r?.namespaced ?? true) && m.metadata.namespace ? `/namespaces/${m.metadata.namespace}` : "";
    return `${prefix(m.apiVersion)}${ns}/${r?.name ?? `${m.kind.toLowerCase()}s`}`;
  }
  const dryRun = async (m: Manifest) => server.request("POST", `${await collection(m)}?${DRY_RUN}`, m);
  const where = (m: Manifest) => [m.metadata.namespace, m.metadata.name].filter(Boolean).join("/");
  const title = (o: KubeObject) => {
    const external = EXTERNAL[o.manifest.apiVersion.split("/")[0]];
    const what = `${o.variant}: ${o.manifest.kind} ${where(o.manifest)}`;
    return external ? `${what}: NOT CHECKED, ${external}; the server answers 404` : what;
  };
  const explain = (r: KubeResponse) => `${r.status} ${r.body?.message ?? JSON.stringify(r.body)}`;

  before(async function () {
    objects = await collectObjects();
    gateway = objects.find(
      (o) => o.manifest.kind === "Deployment" && o.manifest.metadata.name === "gateway",
    )!.manifest;
    server = new KubeApiServer();
    await server.start();
    // Namespaces and CustomResourceDefinitions are created for real (strict validation, no dry run): the
    // objects in them, or of their kinds, can only be dry-run once they exist.
    for (const kind of ["Namespace", "CustomResourceDefinition"]) {
      for (const { manifest: m } of objects.filter((x) => x.manifest.kind === kind)) {
        const r = await server.request("POST", `${await collection(m)}?fieldValidation=Strict`, m);
        created.set(`${kind} ${m.metadata.name}`, r);
        if (kind === "CustomResourceDefinition" && r.status === 201) {
          await waitFor(`CRD ${m.metadata.name} established`, async () => {
            const got = await server.request("GET", `${await collection(m)}/${m.metadata.name}`);
            return got.body.status?.conditions?.some(
              (c: any) => c.type === "Established" && c.status === "True",
            );
          });
          discovery.clear();
        }
      }
    }
    // One test per object, named by variant, kind, namespace and name (mocha runs tests added here).
    for (const o of objects) suite.addTest(new Test(title(o), () => checkObject(o)));
  });

  async function checkObject(o: KubeObject): Promise<void> {
    const m = o.manifest;
    const real = created.get(`${m.kind} ${m.metadata.name}`);
    if (real) {
      assert.equal(real.status, 201, `created for real: ${explain(real)}`);
      assert.deepEqual(real.warnings, [], "the server's warnings");
      return;
    }
    const served = await resourceOf(m);
    const r = await dryRun(m);
    if (EXTERNAL[m.apiVersion.split("/")[0]]) {
      // Nothing on this server can check these objects; the test says so instead of passing them.
      assert.equal(served, undefined, `${m.apiVersion} is served here: check ${m.kind} for real`);
      assert.equal(r.status, 404, explain(r));
      assert.equal(r.body, NOT_FOUND);
      return;
    }
    assert.ok(served, `${m.apiVersion} ${m.kind} is served by kube-apiserver v1.34 (discovery)`);
    assert.ok(r.status === 201 || r.status === 200, `refused: ${explain(r)}`);
    assert.deepEqual(r.warnings, [], "the server's warnings");
    assert.equal(r.body.metadata.name, m.metadata.name);
  }

  after(async () => {
    if (!server) return;
    await stopKubeApiServer(server);
  });

  it("is a real kube-apiserver v1.34.4 that serves every kind the program creates but the operator's", async () => {
    const v = await server.request("GET", "/version");
    assert.equal(v.body.gitVersion, "v1.34.4");
    assert.ok(objects.length >= 29, `collected ${objects.length} objects`);
    const kinds = new Set(objects.map((o) => `${o.manifest.apiVersion} ${o.manifest.kind}`));
    for (const k of kinds) {
      const [apiVersion, kind] = k.split(" ");
      const served = await resourceOf({ apiVersion, kind });
      if (EXTERNAL[apiVersion.split("/")[0]]) assert.equal(served, undefined, `${k} not served`);
      else assert.ok(served, `${k} served`);
    }
  });

  describe("refuses the five broken copies of our gateway Deployment with the server's message", () => {
    const broken = (edit: (d: Manifest) => void) => {
      const d = structuredClone(gateway);
      edit(d);
      return d;
    };
    const causes = (r: KubeResponse) => (r.body.details?.causes ?? []).map((c: any) => c.field);

    it("an unknown container field: 400, strict decoding error naming the field", async () => {
      const r = await dryRun(broken((d) => (d.spec.template.spec.containers[0].imagePullPolicyy = "Always")));
      assert.equal(r.status, 400, explain(r));
      assert.match(
        r.body.message,
        /strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/,
      );
    });

    it("a misspelt spec.replicaz: 400, strict decoding error naming spec.replicaz", async () => {
      const r = await dryRun(broken((d) => (d.spec.replicaz = 3)));
      assert.equal(r.status, 400, explain(r));
      assert.match(r.body.message, /strict decoding error: unknown field "spec\.replicaz"/);
    });

    it("a selector that does not match the pod labels: 422 naming spec.template.metadata.labels", async () => {
      const r = await dryRun(
        broken((d) => (d.spec.selector.matchLabels["app.kubernetes.io/name"] = "router")),
      );
      assert.equal(r.status, 422, explain(r));
      assert.ok(causes(r).includes("spec.template.metadata.labels"), explain(r));
      assert.match(
        r.body.message,
        /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/,
      );
    });

    it("the name Bad_Name: 422 naming metadata.name", async () => {
      const r = await dryRun(broken((d) => (d.metadata.name = "Bad_Name")));
      assert.equal(r.status, 422, explain(r));
      assert.deepEqual(causes(r), ["metadata.name"], explain(r));
      assert.match(
        r.body.message,
        /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
      );
    });

    it("a probe on port 99999: 422 naming the probe's port", async () => {
      const r = await dryRun(
        broken((d) => (d.spec.template.spec.containers[0].livenessProbe.httpGet.port = 99999)),
      );
      assert.equal(r.status, 422, explain(r));
      const field = "spec.template.spec.containers[0].livenessProbe.httpGet.port";
      assert.deepEqual(causes(r), [field], explain(r));
      assert.match(r.body.message, /Invalid value: 99999: must be between 1 and 65535, inclusive/);
    });

    it("stored nothing: the dry runs left the namespace without workloads, Services, ConfigMaps or Secrets", async () => {
      for (const p of [
        "apps/v1 deployments",
        "apps/v1 statefulsets",
        "v1 services",
        "v1 configmaps",
        "v1 secrets",
      ]) {
        const [apiVersion, plural] = p.split(" ");
        const r = await server.request(
          "GET",
          `${prefix(apiVersion)}/namespaces/${gateway.metadata.namespace}/${plural}`,
        );
        assert.equal(r.status, 200, explain(r));
        assert.deepEqual(r.body.items, [], `${plural} in ${gateway.metadata.namespace}`);
      }
    });
  });
});
