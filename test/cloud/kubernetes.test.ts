// The kubernetes target (index.ts with Pulumi.k8s.yaml, plus variations) under strict recording mocks:
// workload shapes, probes and limits everywhere, PDBs, HPA, both monitoring modes from monitoring/'s
// generated rules, secrets, outputs - and every recorded manifest validated against the Kubernetes
// OpenAPI schema with kubernetes-models.
import assert from "node:assert/strict";
import path from "node:path";
import { parse } from "yaml";
import { renderRuleFiles, SCRAPE_JOBS } from "../../monitoring";
import { withEndpointDiscovery } from "../../components/observability-config";
import type { Recorded } from "../components/mocks";
import { readStackConfig } from "../support/stack-config";
import { assertOutputShape, plainText, policyViolations } from "./helpers";
import { isSecretValue, reveal, runCloudProgram } from "./mocks";

const REPO = path.resolve(__dirname, "..", "..");
const k8sConfig = () => readStackConfig(REPO, "k8s").config;
const PASSWORD = "k8s-nats-password-under-test";
type Run = Awaited<ReturnType<typeof runCloudProgram>>;

const T = {
  ns: "kubernetes:core/v1:Namespace",
  sts: "kubernetes:apps/v1:StatefulSet",
  deploy: "kubernetes:apps/v1:Deployment",
  svc: "kubernetes:core/v1:Service",
  cm: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  rule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  sm: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  probe: "kubernetes:monitoring.coreos.com/v1:Probe",
};

/** kubernetes:<group>/<version>:<Kind> -> the kubernetes-models class, or undefined for CRDs. */
function modelFor(type: string): (new (o: object) => { validate(): void }) | undefined {
  const m = /^kubernetes:(.+)\/(v[0-9a-z]+):(\w+)$/.exec(type);
  if (!m) throw new Error(`not a kubernetes type: ${type}`);
  const [, group, version, kind] = m;
  const dir = group === "core" ? version : `${group}/${version}`;
  try {
    return require(`kubernetes-models/${dir}/${kind}`)[kind];
  } catch {
    return undefined;
  }
}

/** The object as it would be applied: recorded inputs, secrets revealed, with apiVersion/kind. */
const manifest = (r: Recorded) => reveal<Record<string, any>>(r.inputs);

function byName(run: Run, type: string, name: string): Record<string, any> {
  const r = run.mocks.of(type).find((x) => manifest(x).metadata?.name === name);
  assert.ok(r, `${type} ${name} exists (have ${run.mocks.of(type).map((x) => manifest(x).metadata?.name)})`);
  return manifest(r);
}

const podSpec = (m: Record<string, any>) => m.spec.template.spec;

describe("kubernetes target under mocks: Pulumi.k8s.yaml", function () {
  this.timeout(60000);
  let run: Run;
  before(async () => {
    run = await runCloudProgram(
      { ...k8sConfig(), natsPassword: PASSWORD },
      { stack: "k8s", secretKeys: ["natsPassword"] },
    );
  });
  const k8s = () => run.mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));

  it("validates every recorded manifest against the Kubernetes OpenAPI schema", () => {
    let validated = 0;
    for (const r of k8s()) {
      const Model = modelFor(r.type);
      if (!Model) continue;
      const m = manifest(r);
      assert.ok(m.apiVersion && m.kind, `${r.name} has apiVersion and kind`);
      try {
        new Model(m).validate();
      } catch (e) {
        assert.fail(`${r.type} ${r.name} is not a valid manifest: ${(e as Error).message}`);
      }
      validated++;
    }
    // Namespace, Secret, 4 ConfigMaps... every non-CRD object; at least the core set must be there.
    assert.ok(validated >= 20, `validated ${validated} manifests`);
  });

  it("the schema check catches a broken manifest (the validator is live)", () => {
    const Model = modelFor(T.deploy)!;
    const broken = structuredClone(byName(run, T.deploy, "gateway"));
    broken.spec.template.spec.containers[0].resources.limits = "lots";
    assert.throws(() => new Model(broken).validate(), /limits/);
  });

  it("runs NATS as a 3-replica StatefulSet with JetStream PVCs, anti-affinity, probes and a PDB", () => {
    const sts = byName(run, T.sts, "nats");
    assert.equal(sts.spec.replicas, 3);
    assert.equal(sts.spec.podManagementPolicy, "Parallel");
    const pvc = sts.spec.volumeClaimTemplates[0];
    assert.equal(pvc.metadata.name, "jetstream");
    assert.equal(pvc.spec.resources.requests.storage, "10Gi");
    const spec = podSpec(sts);
    assert.equal(
      spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm
        .topologyKey,
      "kubernetes.io/hostname",
    );
    const c = spec.containers[0];
    assert.ok(c.livenessProbe && c.readinessProbe && c.startupProbe);
    assert.deepEqual(c.volumeMounts.map((m: any) => m.mountPath).sort(), ["/data/jetstream", "/etc/nats"]);
    assert.equal(byName(run, T.pdb, "nats").spec.maxUnavailable, 1);
    // One Service per pod keeps the docker target's names (nats-0..2) resolvable in the namespace.
    for (const i of [0, 1, 2]) {
      assert.equal(
        byName(run, T.svc, `nats-${i}`).spec.selector["statefulset.kubernetes.io/pod-name"],
        `nats-${i}`,
      );
    }
    const conf = byName(run, T.cm, "nats-config").data["nats.conf"];
    assert.match(conf, /server_name: \$POD_NAME/);
    assert.match(conf, /nats-route:\/\/nats-2:6222/);
    assert.match(conf, /max_file_store: 8589934592\n/, "80% of the 10Gi volume, in bytes");
  });

  it("runs router and gateway Deployments with probes, PDBs and Services; the gateway autoscales", () => {
    const gw = byName(run, T.deploy, "gateway");
    const rt = byName(run, T.deploy, "router");
    assert.equal(rt.spec.replicas, 2);
    assert.equal(gw.spec.replicas, undefined, "the HPA owns the gateway's replica count");
    for (const d of [gw, rt]) {
      const c = podSpec(d).containers[0];
      assert.equal(c.livenessProbe.httpGet.path, "/health");
      assert.equal(c.readinessProbe.httpGet.path, "/ready");
      assert.equal(c.image.split(":").pop(), "0.1.0");
    }
    const hpa = byName(run, T.hpa, "gateway");
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 6);
    assert.equal(hpa.spec.scaleTargetRef.name, "gateway");
    assert.equal(run.mocks.of(T.hpa).length, 1);
    for (const n of ["gateway", "router"]) assert.equal(byName(run, T.pdb, n).spec.maxUnavailable, 1);
    assert.equal(byName(run, T.svc, "gateway").spec.type, "ClusterIP");
    const env = podSpec(rt).containers[0].env as any[];
    assert.equal(
      env.find((e) => e.name === "NATS_URL").value,
      "nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222",
    );
    assert.deepEqual(env.find((e) => e.name === "NATS_PASSWORD").valueFrom.secretKeyRef, {
      name: "nats-credentials",
      key: "NATS_PASSWORD",
    });
  });

  it("sets requests and limits on every container and passes the policy pack", async () => {
    let containers = 0;
    for (const r of k8s().filter((x) => x.type === T.sts || x.type === T.deploy)) {
      for (const c of podSpec(manifest(r)).containers) {
        containers++;
        for (const k of ["cpu", "memory"]) {
          assert.ok(c.resources.limits[k], `${r.name}/${c.name} limits.${k}`);
          assert.ok(c.resources.requests[k], `${r.name}/${c.name} requests.${k}`);
        }
        assert.equal(c.securityContext.privileged, false);
      }
    }
    assert.equal(containers, 6, "nats, router, gateway, blackbox, prometheus, alertmanager");
    assert.deepEqual(await policyViolations(run), []);
  });

  it("without the operator: a Prometheus Deployment with ConfigMaps from monitoring/'s rules, pods discovered per endpoint", () => {
    const rules = byName(run, T.cm, "prometheus-rules").data;
    const files = renderRuleFiles();
    assert.ok(files.length > 0, "monitoring/ generates rule files");
    assert.deepEqual(Object.keys(rules).sort(), files.map((f) => f.name).sort());
    for (const f of files) assert.equal(rules[f.name], f.content);
    const prom = parse(byName(run, T.cm, "prometheus-config").data["prometheus.yml"]);
    const jobs = Object.fromEntries(prom.scrape_configs.map((s: any) => [s.job_name, s]));
    for (const j of Object.values(SCRAPE_JOBS)) assert.ok(jobs[j], `scrape job ${j}`);
    assert.equal(jobs[SCRAPE_JOBS.gateway].kubernetes_sd_configs[0].role, "endpoints");
    assert.equal(jobs[SCRAPE_JOBS.gateway].static_configs, undefined);
    assert.ok(
      jobs[SCRAPE_JOBS.natsProbe].static_configs[0].targets.includes("http://nats-1.pg-k8s.svc:8222/healthz"),
    );
    assert.deepEqual(prom.rule_files, ["/etc/prometheus/rules/*.yml"]);
    const promDeploy = byName(run, T.deploy, "prometheus");
    assert.equal(podSpec(promDeploy).serviceAccountName, "prometheus");
    assert.equal(run.mocks.of(T.rule).length, 0);
  });

  it("keeps the NATS password a secret", () => {
    assert.ok(!plainText(run).includes(PASSWORD));
    const secret = run.mocks.of(T.secret)[0];
    // The servers read a quoted copy (nats-server parses its variables as config: natsConfigString).
    const data = reveal<Record<string, string>>(secret.inputs.stringData);
    assert.equal(data.NATS_PASSWORD, PASSWORD);
    assert.equal(data.NATS_SERVER_PASSWORD, JSON.stringify(PASSWORD));
    const natsEnv = podSpec(byName(run, T.sts, "nats")).containers[0].env as any[];
    assert.deepEqual(natsEnv.find((e) => e.name === "NATS_PASSWORD").valueFrom.secretKeyRef, {
      name: "nats-credentials",
      key: "NATS_SERVER_PASSWORD",
    });
    assert.ok(
      isSecretValue(secret.inputs.stringData) || isSecretValue(secret.inputs.stringData?.NATS_PASSWORD),
    );
    assert.equal(run.secret.natsPassword, true);
  });

  it("puts tenant tokens into the credentials Secret for the gateway only, and the rate limit into its env", async () => {
    const tokens = "tenant-a:tok-a-Zq8Xw3Lp9Rt6Yu1V,tenant-b:tok-b-Mn4Bv7Cx2Kj5Hg8F";
    const withTokens = await runCloudProgram(
      {
        ...k8sConfig(),
        gatewayTenantTokens: tokens,
        gatewayRateLimitRps: "100",
        gatewayRateLimitBurst: "200",
      },
      { stack: "k8s", secretKeys: ["gatewayTenantTokens"] },
    );
    const secret = withTokens.mocks.of(T.secret)[0];
    assert.equal(reveal(secret.inputs.stringData).GATEWAY_TENANT_TOKENS, tokens);
    assert.ok(!plainText(withTokens).includes("Zq8Xw3Lp9Rt6Yu1V"), "a token in a plain-text input");
    const gwEnv = podSpec(byName(withTokens, T.deploy, "gateway")).containers[0].env as any[];
    assert.deepEqual(gwEnv.find((e) => e.name === "GATEWAY_TENANT_TOKENS").valueFrom.secretKeyRef, {
      name: "nats-credentials",
      key: "GATEWAY_TENANT_TOKENS",
    });
    assert.equal(gwEnv.find((e) => e.name === "GATEWAY_RATE_LIMIT_RPS").value, "100");
    assert.equal(gwEnv.find((e) => e.name === "GATEWAY_RATE_LIMIT_BURST").value, "200");
    const rtEnv = podSpec(byName(withTokens, T.deploy, "router")).containers[0].env as any[];
    assert.ok(!rtEnv.some((e) => e.name.startsWith("GATEWAY_")), "the router gets no gateway settings");
    assert.equal(withTokens.secret.tenantTokens, true);
  });

  it("exports the StackOutputs shape with kubernetes chaos targets", () => {
    const o = run.outputs;
    // No Grafana, no smoke-test job on this target; Pulumi.k8s.yaml sets no gatewayTenantTokens.
    assertOutputShape(o, ["grafanaUrl", "validation", "tenantTokens", "linkProxy"]);
    assert.equal(o.target, "kubernetes");
    assert.equal(o.gatewayUrl, "http://gateway.pg-k8s.svc:8080");
    assert.equal(o.natsHostUrls.length, 3);
    assert.equal(o.prometheusUrl, "http://prometheus.pg-k8s.svc:9090");
    for (const role of ["nats", "router", "gateway", "prometheus"]) {
      assert.deepEqual(o.chaosTargets[role], {
        driver: "kubernetes",
        namespace: "pg-k8s",
        selector: `app.kubernetes.io/instance=k8s,app.kubernetes.io/name=${role}`,
      });
    }
    // The selector matches the workload's own pod labels.
    const labels = byName(run, T.sts, "nats").spec.template.metadata.labels;
    for (const kv of o.chaosTargets.nats.selector.split(",")) {
      const [k, v] = kv.split("=");
      assert.equal(labels[k], v);
    }
  });
});

describe("kubernetes target under mocks: variations", function () {
  this.timeout(60000);
  it("with the operator flag: PrometheusRule per generated rule file, ServiceMonitors and Probes, no own Prometheus", async () => {
    const run = await runCloudProgram({ ...k8sConfig(), k8sPrometheusOperator: "true" }, { stack: "k8s" });
    const files = renderRuleFiles();
    const rules = run.mocks.of(T.rule).map(manifest);
    assert.equal(rules.length, files.length);
    const allGroups = rules.flatMap((r) => r.spec.groups.map((g: any) => g.name)).sort();
    const expected = files.flatMap((f) => parse(f.content).groups.map((g: any) => g.name)).sort();
    assert.deepEqual(allGroups, expected);
    for (const r of rules) {
      assert.equal(r.apiVersion, "monitoring.coreos.com/v1");
      assert.match(r.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "valid object name");
    }
    const sms = run.mocks.of(T.sm).map(manifest);
    assert.deepEqual(sms.map((s) => s.metadata.name).sort(), ["gateway", "router"]);
    assert.ok(sms.every((s) => s.spec.jobLabel === "proving-ground/job"));
    assert.equal(byName(run, T.svc, "gateway").metadata.labels["proving-ground/job"], SCRAPE_JOBS.gateway);
    const probes = run.mocks.of(T.probe).map(manifest);
    assert.deepEqual(
      probes.map((p) => p.spec.jobName).sort(),
      [SCRAPE_JOBS.gatewayProbe, SCRAPE_JOBS.natsProbe].sort(),
    );
    assert.ok(!run.mocks.of(T.deploy).some((d) => manifest(d).metadata.name === "prometheus"));
    assert.equal(run.outputs.prometheusUrl, undefined);
  });

  it("one NATS replica, no HPA, a LoadBalancer gateway and a storage class", async () => {
    const run = await runCloudProgram(
      {
        ...k8sConfig(),
        natsReplicas: "1",
        k8sHpaEnabled: "false",
        k8sGatewayServiceType: "LoadBalancer",
        k8sStorageClass: "gp3",
        k8sNamespace: "beamline-soak",
      },
      { stack: "k8s" },
    );
    const sts = byName(run, T.sts, "nats");
    assert.equal(sts.spec.replicas, 1);
    assert.equal(sts.spec.volumeClaimTemplates[0].spec.storageClassName, "gp3");
    assert.equal(byName(run, T.deploy, "gateway").spec.replicas, 2);
    assert.equal(run.mocks.of(T.hpa).length, 0);
    assert.equal(byName(run, T.svc, "gateway").spec.type, "LoadBalancer");
    assert.equal(run.outputs.natsUrl, "nats://nats-0:4222");
    assert.equal(run.outputs.chaosTargets.nats.namespace, "beamline-soak");
    assert.ok(run.mocks.of(T.ns).some((n) => manifest(n).metadata.name === "beamline-soak"));
  });

  it("k8sHostIsNode: outputs for a machine that is a node (ClusterIPs, the gateway's NodePort on 127.0.0.1, the kubeconfig)", async () => {
    const run = await runCloudProgram(
      {
        ...k8sConfig(),
        k8sGatewayServiceType: "NodePort",
        k8sHostIsNode: "true",
        "kubernetes:kubeconfig": "/var/lib/pg-kube-local/admin.kubeconfig",
      },
      { stack: "kube-local" },
    );
    const services = run.mocks.of(T.svc);
    assert.equal(byName(run, T.svc, "gateway").spec.type, "NodePort");
    assert.match(run.outputs.gatewayUrl, /^http:\/\/127\.0\.0\.1:3\d{4}$/);
    assert.equal(run.outputs.natsHostUrls.length, 3);
    for (const u of run.outputs.natsHostUrls) assert.match(u, /^nats:\/\/10\.96\.0\.\d+:4222$/);
    for (const u of run.outputs.natsMonitorUrls) assert.match(u, /^http:\/\/10\.96\.0\.\d+:8222$/);
    assert.match(run.outputs.prometheusUrl, /^http:\/\/10\.96\.0\.\d+:9090$/);
    assert.match(run.outputs.alertmanagerUrl, /^http:\/\/10\.96\.0\.\d+:9093$/);
    assert.match(run.outputs.routerMetricsUrls[0], /^http:\/\/10\.96\.0\.\d+:9091\/metrics$/);
    // Every URL names a different Service's address.
    const hosts = [...run.outputs.natsHostUrls, run.outputs.prometheusUrl, run.outputs.alertmanagerUrl].map(
      (u: string) => new URL(u).hostname,
    );
    assert.equal(new Set(hosts).size, hosts.length, hosts.join(", "));
    assert.ok(services.length > hosts.length);
    assert.equal(run.outputs.chaosTargets.nats.kubeconfig, "/var/lib/pg-kube-local/admin.kubeconfig");
  });

  it("rejects k8sHostIsNode without a NodePort gateway, naming both keys", async () => {
    await assert.rejects(
      runCloudProgram({ ...k8sConfig(), k8sHostIsNode: "true" }, { stack: "k8s" }),
      /proving-ground:k8sHostIsNode is true, so proving-ground:k8sGatewayServiceType must be NodePort/,
    );
  });

  it("rejects bad kubernetes settings with messages naming the keys", async () => {
    await assert.rejects(
      runCloudProgram(
        {
          ...k8sConfig(),
          k8sNamespace: "Bad_NS",
          k8sJetstreamStorage: "lots",
          k8sHpaMaxReplicas: "1",
          k8sGatewayServiceType: "ExternalName",
        },
        { stack: "k8s" },
      ),
      (e: Error) => {
        for (const k of [
          "k8sNamespace",
          "k8sJetstreamStorage",
          "k8sHpaMaxReplicas",
          "k8sGatewayServiceType",
        ]) {
          assert.match(e.message, new RegExp(`proving-ground:${k}`));
        }
        return true;
      },
    );
  });

  it("rewrites only the service jobs to endpoint discovery", () => {
    const yml = [
      "scrape_configs:",
      "  - job_name: gateway",
      "    static_configs: [{targets: ['gateway:8080']}]",
      "  - job_name: prometheus",
      "    static_configs: [{targets: ['localhost:9090']}]",
    ].join("\n");
    const out = parse(withEndpointDiscovery(yml, "ns1", { gateway: "gateway" }));
    assert.deepEqual(out.scrape_configs[0].kubernetes_sd_configs, [
      { role: "endpoints", namespaces: { names: ["ns1"] } },
    ]);
    assert.equal(out.scrape_configs[0].relabel_configs[0].regex, "gateway");
    assert.deepEqual(out.scrape_configs[1].static_configs, [{ targets: ["localhost:9090"] }]);
  });
});
