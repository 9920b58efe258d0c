// index.ts under strict recording mocks, loaded fresh per case with its config in PULUMI_CONFIG: resource
// counts and inputs per config, secrets, published ports, health checks, outputs and config errors.
import assert from "node:assert/strict";
import path from "node:path";
import { renderRuleFiles } from "../../monitoring";
import { ROLE_LABEL, STACK_LABEL } from "../../components/common";
import { STACK_OUTPUT_KEYS, type StackOutputs } from "../../stacks/outputs";
import { readStackConfig } from "../support/stack-config";
import {
  clearProgramEnv,
  isSecretValue,
  reveal,
  runProgram,
  TYPES,
  type ProgramRun,
  type Recorded,
} from "./mocks";

const REPO = path.resolve(__dirname, "..", "..");

const OUTPUT_KEYS = STACK_OUTPUT_KEYS;

const labelsOf = (r: Recorded) =>
  Object.fromEntries(
    (reveal<{ label: string; value: string }[]>(r.inputs.labels) ?? []).map((l) => [l.label, l.value]),
  );
const roleOf = (r: Recorded) => labelsOf(r)[ROLE_LABEL];
const byRole = (run: ProgramRun, role: string) => run.mocks.containers().filter((c) => roleOf(c) === role);

/** JSON of the recorded inputs with every secret value blanked: what would be visible in plain text. */
function plainText(run: ProgramRun): string {
  const blank = (v: unknown): unknown => {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(blank);
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)]));
    return v;
  };
  return JSON.stringify(run.mocks.resources.map((r) => blank(r.inputs)));
}

/** The CLI's view of a stack file (Pulumi.yaml defaults + Pulumi.<stack>.yaml). */
function stackFileConfig(stack: string): Record<string, string> {
  return readStackConfig(REPO, stack).config;
}

describe("index.ts under mocks: docker target", function () {
  this.timeout(60000);
  after(clearProgramEnv);

  describe("default config", () => {
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ target: "docker" }, { stack: "unit" });
    });

    it("creates one network, one NATS node with its volume, one gateway and one router", () => {
      assert.equal(run.mocks.of(TYPES.network).length, 1);
      assert.equal(byRole(run, "nats").length, 1);
      assert.equal(run.mocks.of(TYPES.volume).length, 1);
      assert.equal(byRole(run, "gateway").length, 1);
      assert.equal(byRole(run, "router").length, 1);
      assert.equal(run.mocks.calls.length, 0, "no provider functions are called");
      const net = run.mocks.of(TYPES.network)[0];
      assert.equal(net.inputs.name, "pg-unit");
      for (const c of run.mocks.containers()) {
        assert.deepEqual(
          reveal(c.inputs.networksAdvanced).map((n: { name: string }) => n.name),
          ["pg-unit"],
        );
        assert.match(c.inputs.name, /^pg-unit-/);
      }
    });

    it("labels every container, network and volume with stack and role", () => {
      const labelled = [
        ...run.mocks.containers(),
        ...run.mocks.of(TYPES.network),
        ...run.mocks.of(TYPES.volume),
      ];
      assert.ok(labelled.length >= 8);
      for (const r of labelled) {
        const l = labelsOf(r);
        assert.equal(l[STACK_LABEL], "unit", `${r.name} stack label`);
        assert.ok(l[ROLE_LABEL], `${r.name} role label`);
      }
      assert.deepEqual([...new Set(run.mocks.containers().map(roleOf))].sort(), [
        "alertmanager",
        "blackbox",
        "cadvisor",
        "gateway",
        "grafana",
        "loki",
        "nats",
        "nats-exporter",
        "prometheus",
        "promtail",
        "router",
        "validation",
      ]);
    });

    it("publishes only the gateway and the UIs, on 127.0.0.1", () => {
      const published = run.mocks
        .containers()
        .filter((c) => (reveal<unknown[]>(c.inputs.ports) ?? []).length > 0)
        .map((c) => [roleOf(c), reveal(c.inputs.ports)]);
      assert.deepEqual(Object.fromEntries(published), {
        gateway: [{ internal: 8080, external: 8080, ip: "127.0.0.1" }],
        prometheus: [{ internal: 9090, external: 9090, ip: "127.0.0.1" }],
        alertmanager: [{ internal: 9093, external: 9093, ip: "127.0.0.1" }],
        grafana: [{ internal: 3000, external: 3000, ip: "127.0.0.1" }],
      });
      assert.ok(
        run.mocks.containers().every((c) => !c.inputs.publishAllPorts && c.inputs.networkMode !== "host"),
      );
    });

    it("health-gates every long-running container; the one-shot job attaches instead", () => {
      for (const c of run.mocks.containers()) {
        if (roleOf(c) === "validation") {
          assert.equal(c.inputs.attach, true);
          assert.equal(c.inputs.logs, true);
          assert.equal(c.inputs.mustRun, false, "a must-run container that exited fails the deployment");
          assert.match(
            labelsOf(c)["proving-ground.validates"],
            /^sha256:[0-9a-f]{64},sha256:[0-9a-f]{64},nats:/,
          );
          assert.equal(c.inputs.restart, "no");
          assert.deepEqual(
            c.inputs.healthcheck,
            { tests: ["NONE"] },
            "the image's HEALTHCHECK is switched off",
          );
          assert.deepEqual(c.inputs.command, ["node", "/opt/proving-ground/validate.js"]);
          assert.ok(c.inputs.memory > 0 && Number(c.inputs.cpus) > 0, "the one-shot job has limits too");
          assert.equal(c.inputs.memorySwap, c.inputs.memory, "no swap on top of the memory limit");
          continue;
        }
        const tests: string[] = c.inputs.healthcheck?.tests ?? [];
        assert.ok(tests.length > 1 && tests[0] === "CMD", `${c.inputs.name} has a health check`);
        // Built from the repo's Debian-based Dockerfiles: the cheap bash probe, not a Node start-up.
        if (["gateway", "router"].includes(roleOf(c) ?? ""))
          assert.deepEqual(tests.slice(0, 2), ["CMD", "bash"], `${c.inputs.name} probes with bash`);
        assert.equal(c.inputs.wait, true, `${c.inputs.name} waits for health`);
        assert.ok(c.inputs.memory > 0 && Number(c.inputs.cpus) > 0, `${c.inputs.name} has limits`);
        assert.equal(c.inputs.memorySwap, c.inputs.memory, `${c.inputs.name}: no swap on top of the limit`);
        assert.equal(c.inputs.restart, "unless-stopped");
      }
    });

    it("orders start-up: NATS, then the router (creates the stream), then the gateway, the job last", () => {
      const at = (suffix: string) => run.mocks.resources.indexOf(run.mocks.container(suffix));
      assert.ok(at("nats-0") < at("router-0"), "router after NATS");
      assert.ok(at("router-0") < at("gateway-0"), "gateway after router");
      const last = run.mocks.containers().at(-1);
      assert.equal(last?.inputs.name, "pg-unit-validation");
    });

    it("runs NATS with its rendered config, JetStream volume and health check", () => {
      const nats = run.mocks.container("nats-0");
      assert.deepEqual(nats.inputs.command, ["nats-server", "--config", "/etc/nats/nats.conf"]);
      const upload = nats.inputs.uploads[0];
      assert.equal(upload.file, "/etc/nats/nats.conf");
      assert.match(upload.content, /server_name: nats-0/);
      assert.doesNotMatch(upload.content, /cluster \{/);
      assert.deepEqual(nats.inputs.mounts, [
        { type: "volume", source: "pg-unit-nats-0-data", target: "/data/jetstream" },
      ]);
      assert.deepEqual(nats.inputs.healthcheck.tests.slice(0, 2), ["CMD", "wget"]);
      assert.match(nats.inputs.healthcheck.tests.at(-1), /:8222\/healthz/);
    });

    it("builds gateway and router from the repo Dockerfiles with BuildKit, kept local (no push)", () => {
      const builds = run.mocks.of(TYPES.buildImage);
      assert.equal(builds.length, 2);
      for (const b of builds) {
        const kind = b.name.replace("-image", "");
        assert.equal(b.inputs.imageName, `proving-ground/${kind}:unit`);
        assert.equal(b.inputs.skipPush, true);
        assert.equal(b.inputs.buildOnPreview, false);
        assert.equal(b.inputs.registry, undefined, "no registry credentials for a local build");
        assert.deepEqual(b.inputs.build, {
          context: REPO,
          dockerfile: path.join(REPO, "services", kind, "Dockerfile"),
          args: {},
          builderVersion: "BuilderBuildKit",
          platform: `linux/${process.arch === "x64" ? "amd64" : process.arch}`,
        });
        assert.equal(run.mocks.container(`${kind}-0`).inputs.image, `proving-ground/${kind}:unit`);
      }
      const validation = run.mocks.container("validation");
      assert.equal(validation.inputs.image, "proving-ground/gateway:unit");
      // The job re-runs when a build changes: it is labelled with both image ids (a local build's repoDigest).
      const [gatewayId, routerId] = labelsOf(validation)["proving-ground.validates"].split(",");
      assert.match(gatewayId, /^sha256:[0-9a-f]{64}$/);
      assert.match(routerId, /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(gatewayId, routerId);
      for (const r of run.mocks.of(TYPES.remoteImage)) assert.equal(r.inputs.keepLocally, true, r.name);
    });

    it("gives the services their environment, the password only inside a secret", () => {
      const gw = run.mocks.container("gateway-0");
      assert.ok(isSecretValue(gw.inputs.envs), "gateway env is a secret");
      const env: string[] = reveal(gw.inputs.envs);
      assert.ok(env.includes("NATS_URL=nats://nats-0:4222"));
      assert.ok(env.includes("NATS_USER=beamline"));
      assert.ok(env.includes("GATEWAY_PORT=8080"));
      assert.ok(env.includes(`NATS_PASSWORD=${run.outputs.natsPassword}`));
      const router: string[] = reveal(run.mocks.container("router-0").inputs.envs);
      assert.ok(router.includes("ROUTER_METRICS_PORT=9091"));
      // nats-server parses its variables as config: its copy is quoted (natsConfigString).
      const nats = run.mocks.container("nats-0");
      assert.ok(isSecretValue(nats.inputs.envs), "nats env is a secret");
      assert.deepEqual(reveal(nats.inputs.envs), [
        'NATS_USER="beamline"',
        `NATS_PASSWORD="${run.outputs.natsPassword}"`,
      ]);
      assert.ok(router.includes("ROUTER_FAULTS_ENABLED=false"));
    });

    it("keeps the generated NATS password secret everywhere", () => {
      assert.equal(run.secret.natsPassword, true, "natsPassword output is secret");
      const pw = run.outputs.natsPassword as string;
      assert.ok(pw.length >= 16);
      assert.ok(run.mocks.of(TYPES.randomPassword).some((r) => r.name === "nats-password"));
      assert.ok(!plainText(run).includes(pw), "password appears in a non-secret input");
      for (const c of run.mocks.containers()) {
        if (JSON.stringify(reveal(c.inputs.envs ?? [])).includes(pw)) {
          assert.ok(isSecretValue(c.inputs.envs), `${c.inputs.name}: env with the password is not secret`);
        }
      }
    });

    it("uploads prometheus.yml and every generated rule file", () => {
      const prom = run.mocks.container("prometheus");
      const files = (prom.inputs.uploads as { file: string; content: string }[]).map((u) => u.file);
      assert.ok(files.includes("/etc/prometheus/prometheus.yml"));
      for (const r of renderRuleFiles()) assert.ok(files.includes(`/etc/prometheus/rules/${r.name}`), r.name);
      assert.ok(!prom.inputs.entrypoints, "official images keep their ENTRYPOINT; only args are set");
      assert.ok((prom.inputs.command as string[]).includes("--config.file=/etc/prometheus/prometheus.yml"));
    });

    it("exports every StackOutputs key with host-reachable addresses", () => {
      // tenantTokens only exists when gatewayTenantTokens is configured, linkProxy with linkProxyEnabled
      // (neither here).
      const absent = ["tenantTokens", "linkProxy"];
      for (const k of Object.keys(OUTPUT_KEYS).filter((x) => !absent.includes(x)))
        assert.ok(k in run.outputs, `missing output ${k}`);
      assert.ok(!("tenantTokens" in run.outputs), "no tenantTokens output without tokens");
      assert.ok(!("linkProxy" in run.outputs), "no linkProxy output without the link proxy");
      const o = run.outputs as StackOutputs;
      assert.equal(o.target, "docker");
      assert.equal(o.stack, "unit");
      assert.equal(o.gatewayUrl, "http://127.0.0.1:8080");
      assert.equal(o.natsUrl, "nats://nats-0:4222");
      assert.match(o.natsHostUrls[0], /^nats:\/\/172\.30\.0\.\d+:4222$/);
      assert.equal(
        o.natsMonitorUrls[0],
        o.natsHostUrls[0].replace("nats://", "http://").replace(":4222", ":8222"),
      );
      assert.match(o.routerMetricsUrls[0], /^http:\/\/172\.30\.0\.\d+:9091\/metrics$/);
      assert.equal(o.prometheusUrl, "http://127.0.0.1:9090");
      assert.equal(o.alertmanagerUrl, "http://127.0.0.1:9093");
      assert.equal(o.grafanaUrl, "http://127.0.0.1:3000");
      assert.deepEqual(o.chaosTargets.nats, {
        driver: "docker",
        containers: ["pg-unit-nats-0"],
        networks: ["pg-unit"],
        volumes: ["pg-unit-nats-0-data"],
      });
      assert.deepEqual(o.chaosTargets.gateway?.containers, ["pg-unit-gateway-0"]);
      assert.deepEqual(o.chaosTargets.router?.containers, ["pg-unit-router-0"]);
      assert.deepEqual(o.chaosTargets.prometheus?.containers, ["pg-unit-prometheus"]);
      assert.equal(o.validation?.exitCode, 0);
      assert.equal(o.validation?.logTail.split("\n").length, 20);
    });
  });

  it("3 NATS nodes, replicas and limits shape the containers", async () => {
    const run = await runProgram({
      natsReplicas: "3",
      gatewayReplicas: "2",
      routerReplicas: "3",
      routerMemory: "1g",
      routerCpus: "1.5",
      natsMemory: "128Mi",
    });
    const nats = byRole(run, "nats");
    assert.equal(nats.length, 3);
    assert.equal(run.mocks.of(TYPES.volume).length, 3);
    for (const [i, c] of nats.entries()) {
      const conf: string = c.inputs.uploads[0].content;
      const routes = [...conf.matchAll(/nats-route:\/\/(nats-\d):6222/g)].map((m) => m[1]);
      assert.deepEqual(
        routes.sort(),
        ["nats-0", "nats-1", "nats-2"].filter((n) => n !== `nats-${i}`),
      );
      assert.equal(c.inputs.memory, 128);
      assert.deepEqual(reveal(c.inputs.networksAdvanced)[0].aliases, [`nats-${i}`]);
    }
    assert.equal(byRole(run, "router").length, 3);
    for (const r of byRole(run, "router")) {
      assert.equal(r.inputs.memory, 1024);
      assert.equal(r.inputs.cpus, "1.5");
      assert.equal(r.inputs.ports.length, 0, "routers are not published");
    }
    const gws = byRole(run, "gateway");
    assert.deepEqual(
      gws.map((g) => reveal(g.inputs.ports)[0].external),
      [8080, 8081],
    );
    const o = run.outputs as StackOutputs;
    assert.equal(o.natsUrl, "nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222");
    assert.equal(o.natsHostUrls.length, 3);
    assert.equal(o.natsMonitorUrls.length, 3);
    assert.equal(o.routerMetricsUrls.length, 3);
    assert.equal(new Set(o.natsHostUrls).size, 3);
    assert.deepEqual(o.chaosTargets.nats?.volumes, [
      "pg-test-nats-0-data",
      "pg-test-nats-1-data",
      "pg-test-nats-2-data",
    ]);
    assert.ok(reveal<string[]>(byRole(run, "router")[0].inputs.envs).includes("ROUTER_JETSTREAM_REPLICAS=3"));
  });

  it("is deterministic, and a config change shows only in the affected container's inputs", async () => {
    const inputsByName = (run: ProgramRun) =>
      Object.fromEntries(run.mocks.containers().map((c) => [c.inputs.name, JSON.stringify(c.inputs)]));
    const pw = { natsPassword: "fixed-password-for-diffing" };
    const a = inputsByName(
      await runProgram({ ...pw, scrapeIntervalSeconds: "15" }, { secretKeys: ["natsPassword"] }),
    );
    const b = inputsByName(
      await runProgram({ ...pw, scrapeIntervalSeconds: "15" }, { secretKeys: ["natsPassword"] }),
    );
    assert.deepEqual(a, b, "same config, same inputs (uploads included)");
    const c = inputsByName(
      await runProgram({ ...pw, scrapeIntervalSeconds: "30" }, { secretKeys: ["natsPassword"] }),
    );
    const changed = Object.keys(a).filter((k) => a[k] !== c[k]);
    assert.deepEqual(changed, ["pg-test-prometheus"]);
  });

  it("a configured secret password is used as given and stays secret", async () => {
    const pw = "configured-password-0123456789";
    const run = await runProgram(
      { natsPassword: pw, grafanaEnabled: "false" },
      { secretKeys: ["natsPassword"] },
    );
    assert.equal(run.outputs.natsPassword, pw);
    assert.equal(run.secret.natsPassword, true);
    assert.equal(run.mocks.of(TYPES.randomPassword).length, 0, "nothing generated");
    assert.ok(!plainText(run).includes(pw));
    assert.ok(reveal<string[]>(run.mocks.container("router-0").inputs.envs).includes(`NATS_PASSWORD=${pw}`));
  });

  it("configured tenant tokens and rate limits reach the gateway; tokens only inside secrets", async () => {
    const tokens = {
      "tenant-a": "tok-a-0123456789abcdef",
      "tenant-b": "tok-b-0123456789abcdef",
    };
    const run = await runProgram(
      {
        gatewayTenantTokens: Object.entries(tokens)
          .map(([t, k]) => `${t}:${k}`)
          .join(","),
        gatewayRateLimitRps: "50",
        gatewayRateLimitBurst: "80",
        grafanaEnabled: "false",
      },
      { secretKeys: ["gatewayTenantTokens"] },
    );
    const gw = run.mocks.container("gateway-0");
    assert.ok(isSecretValue(gw.inputs.envs), "gateway env is a secret");
    const env: string[] = reveal(gw.inputs.envs);
    assert.ok(
      env.includes(`GATEWAY_TENANT_TOKENS=tenant-a:${tokens["tenant-a"]},tenant-b:${tokens["tenant-b"]}`),
    );
    assert.ok(env.includes("GATEWAY_RATE_LIMIT_RPS=50") && env.includes("GATEWAY_RATE_LIMIT_BURST=80"));
    const router: string[] = reveal(run.mocks.container("router-0").inputs.envs);
    assert.ok(!router.some((e) => e.startsWith("GATEWAY_")), "the router gets no gateway settings");
    const job = run.mocks.container("validation");
    assert.ok(isSecretValue(job.inputs.envs), "the smoke test's env (with its token) is a secret");
    assert.ok(reveal<string[]>(job.inputs.envs).includes(`TENANT_TOKEN=${tokens["tenant-a"]}`));
    assert.deepEqual(run.outputs.tenantTokens, tokens);
    assert.equal(run.secret.tenantTokens, true, "tenantTokens output is secret");
    const plain = plainText(run);
    for (const t of Object.values(tokens)) assert.ok(!plain.includes(t), "a token in a non-secret input");
  });

  it("without tenant tokens and limits the gateway and the smoke test keep their plain settings", async () => {
    const run = await runProgram({ grafanaEnabled: "false" });
    const env: string[] = reveal(run.mocks.container("gateway-0").inputs.envs);
    assert.ok(!env.some((e) => /^GATEWAY_(TENANT_TOKENS|RATE_LIMIT_)/.test(e)), env.join(" "));
    const job = run.mocks.container("validation");
    assert.ok(!isSecretValue(job.inputs.envs), "no secret in the smoke test's env");
    assert.ok(!reveal<string[]>(job.inputs.envs).some((e) => e.startsWith("TENANT_TOKEN=")));
    assert.ok(!("tenantTokens" in run.outputs));
  });

  it("switches optional parts off and binds UIs where configured", async () => {
    const run = await runProgram({
      grafanaEnabled: "false",
      lokiEnabled: "false",
      natsExporterEnabled: "false",
      cadvisorEnabled: "false",
      validationEnabled: "false",
      bindAddress: "10.1.2.3",
    });
    const roles = run.mocks.containers().map(roleOf).sort();
    assert.deepEqual(roles, ["alertmanager", "blackbox", "gateway", "nats", "prometheus", "router"]);
    for (const c of run.mocks.containers()) {
      for (const p of reveal<{ ip: string }[]>(c.inputs.ports) ?? []) assert.equal(p.ip, "10.1.2.3");
    }
    // Outputs without a value on this stack are not exported at all (the engine warns about undefined ones).
    assert.ok(!("grafanaUrl" in run.outputs), "no grafanaUrl output without Grafana");
    assert.ok(!("validation" in run.outputs), "no validation output without the job");
    assert.ok(Object.values(run.outputs).every((v) => v !== undefined));
    assert.equal(run.outputs.gatewayUrl, "http://10.1.2.3:8080");
  });

  it("the ci stack file runs the local images and builds the services on the local base", async () => {
    const run = await runProgram(stackFileConfig("ci"), { stack: "ci" });
    const images = run.mocks
      .of(TYPES.remoteImage)
      .map((r) => r.inputs.name)
      .sort();
    assert.deepEqual(images, [
      "proving-ground/alertmanager:ci",
      "proving-ground/blackbox-exporter:ci",
      "proving-ground/nats:ci",
      "proving-ground/prometheus:ci",
      "proving-ground/toxiproxy:ci",
    ]);
    assert.equal(run.mocks.of(TYPES.buildImage).length, 2);
    for (const b of run.mocks.of(TYPES.buildImage)) {
      assert.deepEqual(b.inputs.build.args, { BASE_IMAGE: "proving-ground/base:bookworm" });
      assert.match(b.inputs.imageName, /^proving-ground\/(gateway|router):ci$/);
    }
    const roles = new Set(run.mocks.containers().map(roleOf));
    for (const off of ["grafana", "loki", "promtail", "nats-exporter", "cadvisor"])
      assert.ok(!roles.has(off), off);
    assert.deepEqual(
      Object.keys(run.outputs).sort(),
      Object.keys(OUTPUT_KEYS)
        .filter((k) => k !== "grafanaUrl")
        .sort(),
      "every output but grafanaUrl (Grafana is off)",
    );
  });

  it("the dev stack file runs pinned public images and a 3-node cluster", async () => {
    const run = await runProgram(stackFileConfig("dev"), { stack: "dev" });
    const images = run.mocks.of(TYPES.remoteImage).map((r) => r.inputs.name);
    assert.ok(images.includes("nats:2.15.3-alpine"));
    assert.ok(images.some((i) => i.startsWith("gcr.io/cadvisor/cadvisor:v")));
    assert.equal(byRole(run, "nats").length, 3);
    assert.equal(run.mocks.of(TYPES.buildImage).length, 2);
  });

  it("a team's own gateway image gets the node health probe (bash may be missing); the built router keeps bash", async () => {
    const run = await runProgram({ gatewayImage: "registry.example/team/gateway:1.2.3" });
    const [gw] = byRole(run, "gateway");
    assert.deepEqual(gw.inputs.healthcheck.tests.slice(0, 2), ["CMD", "node"]);
    assert.match(gw.inputs.healthcheck.tests.at(-1), /fetch\("http:\/\/127\.0\.0\.1:8080\/health"\)/);
    const [rt] = byRole(run, "router");
    assert.deepEqual(rt.inputs.healthcheck.tests.slice(0, 2), ["CMD", "bash"]);
    assert.match(rt.inputs.healthcheck.tests.at(-1), /\/dev\/tcp\/127\.0\.0\.1\/9091 .*GET \/health /);
  });

  const invalid: [string, Record<string, string>, RegExp][] = [
    [
      "an unknown target",
      { target: "mainframe" },
      /proving-ground:target must be one of docker, aws, kubernetes, got "mainframe"/,
    ],
    [
      "replicas < 1",
      { routerReplicas: "0" },
      /proving-ground:routerReplicas must be between 1 and 16, got 0/,
    ],
    [
      "a bad memory string",
      { gatewayMemory: "256 megs" },
      /proving-ground:gatewayMemory must be a memory size like "256Mi"/,
    ],
  ];
  for (const [what, values, message] of invalid) {
    it(`fails on ${what} with a message naming the key`, async () => {
      await assert.rejects(runProgram(values), message);
    });
  }
});

describe("index.ts under mocks: the link proxy (linkProxyEnabled)", function () {
  this.timeout(60000);
  after(clearProgramEnv);

  it("is off by default: no Toxiproxy container, no output, the routers on NATS directly", async () => {
    const run = await runProgram({ grafanaEnabled: "false" });
    assert.deepEqual(byRole(run, "link-proxy"), []);
    assert.ok(!run.mocks.of(TYPES.remoteImage).some((r) => /toxiproxy/.test(r.inputs.name)));
    assert.ok(!("linkProxy" in run.outputs));
    assert.ok(!("link-proxy" in (run.outputs as StackOutputs).chaosTargets));
    for (const role of ["router", "gateway"])
      assert.ok(
        reveal<string[]>(byRole(run, role)[0].inputs.envs).includes("NATS_URL=nats://nats-0:4222"),
        role,
      );
  });

  it("on: one proxy per NATS node from a config file, health-gated; only the routers go through it", async () => {
    const run = await runProgram({ linkProxyEnabled: "true", natsReplicas: "3", routerReplicas: "2" });
    const [proxy, ...more] = byRole(run, "link-proxy");
    assert.equal(more.length, 0);
    assert.equal(proxy.inputs.name, "pg-test-link-proxy");
    assert.deepEqual(reveal(proxy.inputs.networksAdvanced), [{ name: "pg-test", aliases: ["link-proxy"] }]);
    assert.ok(
      run.mocks.of(TYPES.remoteImage).some((r) => r.inputs.name === "ghcr.io/shopify/toxiproxy:2.5.0"),
    );
    // The official image's entrypoint is the server: only its flags are set.
    assert.deepEqual(proxy.inputs.command, [
      "-host=0.0.0.0",
      "-port=8474",
      "-config=/etc/toxiproxy/proxies.json",
    ]);
    const [upload] = proxy.inputs.uploads;
    assert.equal(upload.file, "/etc/toxiproxy/proxies.json");
    assert.deepEqual(JSON.parse(upload.content), [
      { name: "nats-0", listen: "0.0.0.0:4222", upstream: "nats-0:4222", enabled: true },
      { name: "nats-1", listen: "0.0.0.0:4223", upstream: "nats-1:4222", enabled: true },
      { name: "nats-2", listen: "0.0.0.0:4224", upstream: "nats-2:4222", enabled: true },
    ]);
    // Health-gated on its API (the CLI both the official scratch image and the CI image ship).
    assert.equal(proxy.inputs.wait, true);
    assert.deepEqual(proxy.inputs.healthcheck.tests, [
      "CMD",
      "/toxiproxy-cli",
      "--host",
      "http://127.0.0.1:8474",
      "inspect",
      "nats-2",
    ]);
    assert.ok(proxy.inputs.memory > 0 && Number(proxy.inputs.cpus) > 0, "limits");
    assert.equal((reveal<unknown[]>(proxy.inputs.ports) ?? []).length, 0, "not published");

    const viaProxy = "NATS_URL=nats://link-proxy:4222,nats://link-proxy:4223,nats://link-proxy:4224";
    const direct = "NATS_URL=nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222";
    const routers = byRole(run, "router");
    assert.equal(routers.length, 2);
    for (const r of routers) assert.ok(reveal<string[]>(r.inputs.envs).includes(viaProxy), r.inputs.name);
    const gwEnv = reveal<string[]>(byRole(run, "gateway")[0].inputs.envs);
    assert.ok(gwEnv.includes(direct), gwEnv.filter((e) => e.startsWith("NATS_URL")).join());

    const o = run.outputs as StackOutputs;
    assert.match(o.linkProxy!.apiUrl, /^http:\/\/172\.30\.0\.\d+:8474$/);
    assert.deepEqual(o.linkProxy!.proxies, ["nats-0", "nats-1", "nats-2"]);
    assert.deepEqual(o.chaosTargets["link-proxy"], {
      driver: "docker",
      containers: ["pg-test-link-proxy"],
      networks: ["pg-test"],
      volumes: [],
    });
    assert.equal(o.natsUrl, direct.slice("NATS_URL=".length), "natsUrl stays the direct one");
  });

  it("runs the configured image and starts the routers after it", async () => {
    const run = await runProgram({
      linkProxyEnabled: "true",
      linkProxyImage: "registry.example/toxiproxy:2.5.0",
    });
    assert.ok(
      run.mocks.of(TYPES.remoteImage).some((r) => r.inputs.name === "registry.example/toxiproxy:2.5.0"),
    );
    // Registered once its start-after dependencies are (as the NATS → router → gateway order).
    const at = (suffix: string) => run.mocks.resources.indexOf(run.mocks.container(suffix));
    assert.ok(at("link-proxy") < at("router-0"), "router after the link proxy");
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      "an unpinned link proxy image",
      { linkProxyEnabled: "true", linkProxyImage: "ghcr.io/shopify/toxiproxy" },
      /proving-ground:linkProxyImage must be an image pinned by tag or digest/,
    ],
    [
      "a link proxy switch that is not a boolean",
      { linkProxyEnabled: "maybe" },
      /proving-ground:linkProxyEnabled must be true or false/,
    ],
  ];
  for (const [what, values, message] of bad) {
    it(`fails on ${what} with a message naming the key`, async () => {
      await assert.rejects(runProgram(values), message);
    });
  }
});
