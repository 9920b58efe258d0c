// stacks/config.ts: the pure parser every target shares. Defaults, typed values, and errors that name
// the offending key and say what was expected.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import {
  CONFIG_KEYS,
  ConfigError,
  DEFAULTS,
  isPinnedImage,
  parseConfig,
  parseMemory,
  PROJECT,
} from "../../stacks/config";
import { CLOUD_CONFIG_KEYS } from "../../stacks/cloud-keys";
import { readStackConfig } from "../support/stack-config";

const raw = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`proving-ground:${k}`, v]));

function problems(values: Record<string, string>): string[] {
  try {
    parseConfig(raw(values), "t");
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("stacks/config parseConfig", () => {
  it("applies the documented defaults", () => {
    const c = parseConfig({}, "dev");
    assert.equal(c.target, "docker");
    assert.equal(c.stack, "dev");
    assert.equal(c.bindAddress, "127.0.0.1");
    assert.equal(c.nats.replicas, 1);
    assert.equal(c.nats.image, DEFAULTS.natsImage);
    assert.equal(c.nats.user, "beamline");
    assert.deepEqual(c.gateway.image, {
      kind: "build",
      dockerfile: "services/gateway/Dockerfile",
      baseImage: undefined,
    });
    assert.deepEqual(c.router.image, {
      kind: "build",
      dockerfile: "services/router/Dockerfile",
      baseImage: undefined,
    });
    assert.equal(c.gateway.replicas, 1);
    assert.equal(c.gateway.hostPort, 8080);
    assert.deepEqual(c.gateway.limits, {
      cpus: 0.5,
      memory: "256Mi",
      memoryBytes: 256 * 2 ** 20,
      memoryMb: 256,
    });
    assert.equal(c.observability.grafana.enabled, true);
    assert.equal(c.observability.prometheus.hostPort, 9090);
    assert.equal(c.validation.enabled, true);
  });

  it("types every value it reads", () => {
    const c = parseConfig(
      raw({
        natsReplicas: "3",
        gatewayReplicas: "2",
        routerReplicas: "4",
        routerMemory: "1g",
        routerCpus: "1.5",
        gatewayImage: "registry.example/beamline/gateway:1.2.3",
        serviceBaseImage: "proving-ground/base:bookworm",
        gatewayEnv: '["GATEWAY_RATE_LIMIT_RPS=50","LOG_LEVEL=debug"]',
        grafanaEnabled: "false",
        routerFaultsEnabled: "true",
      }),
      "ci",
    );
    assert.equal(c.nats.replicas, 3);
    assert.equal(c.nats.streamReplicas, 3);
    assert.equal(c.gateway.replicas, 2);
    assert.equal(c.router.replicas, 4);
    assert.deepEqual(c.router.limits, { cpus: 1.5, memory: "1g", memoryBytes: 2 ** 30, memoryMb: 1024 });
    assert.deepEqual(c.gateway.image, { kind: "image", name: "registry.example/beamline/gateway:1.2.3" });
    assert.deepEqual(c.router.image, {
      kind: "build",
      dockerfile: "services/router/Dockerfile",
      baseImage: "proving-ground/base:bookworm",
    });
    assert.deepEqual(c.gateway.env, ["GATEWAY_RATE_LIMIT_RPS=50", "LOG_LEVEL=debug"]);
    assert.equal(c.observability.grafana.enabled, false);
    assert.equal(c.router.faultsEnabled, true);
  });

  it("reads the gateway's rate limit and which tenants have tokens (never the tokens)", () => {
    const c = parseConfig(
      raw({
        gatewayRateLimitRps: "300",
        gatewayRateLimitBurst: "600",
        gatewayTenantTokens: " tenant-a:aaaaaaaaaaaaaaaa , e2e-0:bbbbbbbbbbbbbbbbbb",
      }),
      "ci",
    );
    assert.equal(c.gateway.rateLimitRps, 300);
    assert.equal(c.gateway.rateLimitBurst, 600);
    assert.deepEqual(c.gateway.tokenTenants, ["tenant-a", "e2e-0"]);
    assert.ok(!JSON.stringify(c).includes("aaaaaaaaaaaaaaaa"), "a token left the parser");
    const off = parseConfig({}, "dev");
    assert.deepEqual(
      [off.gateway.rateLimitRps, off.gateway.rateLimitBurst, off.gateway.tokenTenants],
      [0, 0, []],
    );
  });

  it("names gatewayTenantTokens in its problems without quoting a token", () => {
    const secret = "s3cr3t-token-value";
    const p = problems({ gatewayTenantTokens: `tenant-a:${secret},broken-${secret},x:short` });
    assert.ok(
      p.some((m) =>
        /gatewayTenantTokens must be a comma-separated list of tenant:token pairs; entry 2/.test(m),
      ),
      p.join("\n"),
    );
    assert.ok(
      p.some((m) => /the token of tenant "x" must be at least 16 characters/.test(m)),
      p.join("\n"),
    );
    assert.ok(!p.join("\n").includes(secret), "a problem quotes the token");
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "a negative rate limit",
      { gatewayRateLimitRps: "-1" },
      /proving-ground:gatewayRateLimitRps must be between 0 and 10000000, got -1/,
    ],
    [
      "a burst without a rate",
      { gatewayRateLimitBurst: "10" },
      /proving-ground:gatewayRateLimitBurst is 10 but proving-ground:gatewayRateLimitRps is 0/,
    ],
    [
      "a tenant listed twice",
      { gatewayTenantTokens: "tenant-a:aaaaaaaaaaaaaaaa,tenant-a:bbbbbbbbbbbbbbbb" },
      /proving-ground:gatewayTenantTokens lists tenant "tenant-a" twice/,
    ],
    [
      "tokens without one for the smoke test's tenant",
      { gatewayTenantTokens: "other:aaaaaaaaaaaaaaaa" },
      /proving-ground:validationTenant "tenant-a" has no token in proving-ground:gatewayTenantTokens/,
    ],
    [
      "unknown target",
      { target: "openstack" },
      /proving-ground:target must be one of docker, aws, kubernetes/,
    ],
    [
      "gateway replicas < 1",
      { gatewayReplicas: "0" },
      /proving-ground:gatewayReplicas must be between 1 and 16, got 0/,
    ],
    [
      "router replicas not an integer",
      { routerReplicas: "two" },
      /proving-ground:routerReplicas must be an integer/,
    ],
    ["2 NATS nodes", { natsReplicas: "2" }, /proving-ground:natsReplicas must be 1 or 3/],
    [
      "bad memory string",
      { natsMemory: "lots" },
      /proving-ground:natsMemory must be a memory size like "256Mi"/,
    ],
    ["unknown memory unit", { gatewayMemory: "256Xi" }, /proving-ground:gatewayMemory must be a memory size/],
    [
      "memory below docker's floor",
      { routerMemory: "1m" },
      /proving-ground:routerMemory must be at least 6Mi/,
    ],
    ["cpus not a number", { routerCpus: "half" }, /proving-ground:routerCpus must be a number/],
    [
      "unpinned image",
      { prometheusImage: "prom/prometheus" },
      /proving-ground:prometheusImage must be an image pinned/,
    ],
    ["latest image", { natsImage: "nats:latest" }, /proving-ground:natsImage must be an image pinned/],
    [
      "port out of range",
      { gatewayHostPort: "70000" },
      /proving-ground:gatewayHostPort must be between 1 and 65535/,
    ],
    [
      "colliding host ports",
      { grafanaHostPort: "9090" },
      /proving-ground:grafanaHostPort \(9090\) collides with proving-ground:prometheusHostPort/,
    ],
    [
      "gateway replica port collides",
      { gatewayReplicas: "2", prometheusHostPort: "8081" },
      /proving-ground:prometheusHostPort \(8081\) collides with proving-ground:gatewayHostPort\+1/,
    ],
    [
      "env not NAME=value",
      { routerEnv: '["no equals sign"]' },
      /proving-ground:routerEnv must be a list of "NAME=value" strings/,
    ],
    ["not a boolean", { grafanaEnabled: "maybe" }, /proving-ground:grafanaEnabled must be true or false/],
    [
      "bind address not IPv4",
      { bindAddress: "localhost" },
      /proving-ground:bindAddress must be an IPv4 address/,
    ],
    ["typo in a key", { natsReplica: "3" }, /proving-ground:natsReplica is not a known config key/],
  ];
  for (const [what, values, expected] of cases) {
    it(`rejects ${what}, naming the key`, () => {
      const p = problems(values);
      assert.ok(
        p.some((m) => expected.test(m)),
        `no problem matched ${expected}:\n${p.join("\n")}`,
      );
    });
  }

  it("reports every problem at once", () => {
    const p = problems({ target: "x", gatewayReplicas: "0", natsMemory: "big" });
    assert.equal(p.length, 3, p.join("\n"));
  });

  it("reads a cloud target's own keys in the same pass and types the config per target", () => {
    // A shared key and two aws keys wrong at once: one error names all three.
    const p = problems({ target: "aws", gatewayReplicas: "0", awsAvailabilityZones: "1" });
    for (const k of ["gatewayReplicas", "awsAvailabilityZones", "awsDeployerPublicKey", "gatewayImage"]) {
      assert.ok(
        p.some((m) => m.startsWith(`proving-ground:${k} `)),
        `${k} not named:\n${p.join("\n")}`,
      );
    }
    const k8s = parseConfig(
      raw({ target: "kubernetes", gatewayImage: "r/gw:1", routerImage: "r/rt:1", k8sNamespace: "ns-1" }),
      "t",
    );
    assert.equal(k8s.target === "kubernetes" && k8s.kubernetes.namespace, "ns-1");
    const docker = parseConfig(raw({ k8sNamespace: "Not A Label" }), "t");
    assert.ok(!("kubernetes" in docker), "another target's keys are not read on docker");
  });

  it("ignores other namespaces (providers' own config)", () => {
    const c = parseConfig({ "docker:host": "unix:///var/run/docker.sock", "aws:region": "eu-west-1" }, "dev");
    assert.equal(c.target, "docker");
  });
});

describe("stacks/config parseMemory", () => {
  const table: [string, number | undefined][] = [
    ["256Mi", 256 * 2 ** 20],
    ["512m", 512 * 2 ** 20],
    ["1g", 2 ** 30],
    ["1Gi", 2 ** 30],
    ["1.5G", 1.5 * 2 ** 30],
    ["64k", 64 * 1024],
    ["1048576", 2 ** 20],
    ["128MB", 128 * 2 ** 20],
    ["", undefined],
    ["0", undefined],
    ["-1g", undefined],
    ["1 tb", undefined],
    ["Mi", undefined],
  ];
  for (const [s, bytes] of table) {
    it(`${JSON.stringify(s)} -> ${bytes}`, () => assert.equal(parseMemory(s), bytes));
  }
});

describe("stacks/config isPinnedImage", () => {
  it("accepts tags and digests, rejects bare names and latest", () => {
    for (const ok of [
      "nats:2.15.3-alpine",
      "proving-ground/nats:ci",
      "localhost:5000/x/y:1",
      `nats@sha256:${"a".repeat(64)}`,
    ]) {
      assert.equal(isPinnedImage(ok), true, ok);
    }
    for (const bad of ["nats", "localhost:5000/nats", "nats:latest", "nats:", "na ts:1", ""]) {
      assert.equal(isPinnedImage(bad), false, bad);
    }
  });
});

describe("Pulumi.yaml and the stack files", () => {
  const REPO = path.resolve(__dirname, "..", "..");
  const projectText = fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8");
  const project = YAML.parse(projectText);
  const declared = project.config as Record<
    string,
    { type: string; description: string; default?: unknown; secret?: boolean }
  >;
  const stackFiles = fs.readdirSync(REPO).filter((f) => /^Pulumi\.[\w-]+\.yaml$/.test(f));

  /**
   * Keys named in the comment block above `config:` (the optional keys without a default), as words;
   * `aws*` names every key with that prefix.
   */
  function undeclaredKeysNamed(): { names: Set<string>; prefixes: string[] } {
    const head = projectText.slice(0, projectText.search(/^config:/m));
    const comment = head
      .split("\n")
      .filter((l) => l.startsWith("#"))
      .join("\n");
    const words = comment.match(/[A-Za-z][A-Za-z0-9]*\*?/g) ?? [];
    return {
      names: new Set(words.filter((w) => !w.endsWith("*"))),
      prefixes: words.filter((w) => w.endsWith("*")).map((w) => w.slice(0, -1)),
    };
  }

  it("declares only keys the program reads, each with a type, a description and a default", () => {
    assert.equal(project.name, PROJECT);
    assert.deepEqual(project.runtime, {
      name: "nodejs",
      options: { typescript: true, packagemanager: "npm" },
    });
    for (const [k, v] of Object.entries(declared)) {
      assert.ok((CONFIG_KEYS as readonly string[]).includes(k), `${k} is declared but not read`);
      assert.ok(["string", "integer", "boolean", "array"].includes(v.type), `${k} type`);
      assert.ok(v.description?.length > 10, `${k} description`);
      // The Pulumi CLI treats a declared key without a default as required: every stack would have to set it.
      assert.notEqual(v.default, undefined, `${k} is declared without a default (the CLI would require it)`);
    }
  });

  it("names every key it does not declare in the comment above config:", () => {
    const { names, prefixes } = undeclaredKeysNamed();
    const undeclared = CONFIG_KEYS.filter((k) => !(k in declared));
    assert.ok(undeclared.includes("natsPassword") && undeclared.includes("awsVpcCidr"), undeclared.join());
    for (const k of undeclared) {
      assert.ok(
        names.has(k) || prefixes.some((p) => k.startsWith(p)),
        `${k} is read by stacks/config.ts but neither declared in Pulumi.yaml nor named in its comment`,
      );
    }
    for (const p of prefixes) {
      assert.ok(
        CLOUD_CONFIG_KEYS.some((k) => k.startsWith(p)),
        `${p}* in the Pulumi.yaml comment names no key`,
      );
    }
    for (const k of CLOUD_CONFIG_KEYS) assert.ok(!(k in declared), `${k} has no default to declare`);
  });

  it("declares the same defaults the parser applies", () => {
    const defaultsOnly = Object.fromEntries(
      Object.entries(declared)
        .filter(([, v]) => v.default !== undefined)
        .map(([k, v]) => [
          `${PROJECT}:${k}`,
          typeof v.default === "string" ? v.default : JSON.stringify(v.default),
        ]),
    );
    assert.ok(Object.keys(defaultsOnly).length >= 30);
    assert.deepEqual(parseConfig(defaultsOnly, "dev"), parseConfig({}, "dev"));
  });

  it("every stack file uses keys the program reads and passes validation", () => {
    assert.ok(
      stackFiles.includes("Pulumi.dev.yaml") && stackFiles.includes("Pulumi.ci.yaml"),
      stackFiles.join(),
    );
    for (const f of stackFiles) {
      const stack = f.slice("Pulumi.".length, -".yaml".length);
      const doc = YAML.parse(fs.readFileSync(path.join(REPO, f), "utf8"));
      for (const k of Object.keys(doc.config ?? {})) {
        if (k.startsWith(`${PROJECT}:`))
          assert.ok(
            (CONFIG_KEYS as readonly string[]).includes(k.slice(PROJECT.length + 1)),
            `${f}: ${k} is not a key the program reads`,
          );
      }
      const c = parseConfig(readStackConfig(REPO, stack).config, stack);
      assert.equal(c.stack, stack);
    }
  });
});

describe("stacks/config: the link proxy keys", () => {
  it("off by default, with the pinned official Toxiproxy image", () => {
    const c = parseConfig({}, "dev");
    assert.deepEqual(c.linkProxy, { enabled: false, image: "ghcr.io/shopify/toxiproxy:2.5.0" });
    assert.equal(DEFAULTS.linkProxyImage, "ghcr.io/shopify/toxiproxy:2.5.0");
    assert.deepEqual(
      parseConfig(raw({ linkProxyEnabled: "true", linkProxyImage: "proving-ground/toxiproxy:ci" }), "ci")
        .linkProxy,
      { enabled: true, image: "proving-ground/toxiproxy:ci" },
    );
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      "a switch that is not a boolean",
      { linkProxyEnabled: "sometimes" },
      /proving-ground:linkProxyEnabled must be true or false/,
    ],
    [
      "an unpinned image",
      { linkProxyImage: "ghcr.io/shopify/toxiproxy:latest" },
      /proving-ground:linkProxyImage must be an image pinned by tag or digest/,
    ],
    [
      "the link proxy on a cloud target",
      { target: "kubernetes", linkProxyEnabled: "true" },
      /proving-ground:linkProxyEnabled is supported on the docker target only, got target kubernetes/,
    ],
  ];
  for (const [what, values, expected] of bad) {
    it(`rejects ${what}, naming the key`, () => {
      const p = problems(values);
      assert.ok(
        p.some((m) => expected.test(m)),
        `no problem matched ${expected}:\n${p.join("\n")}`,
      );
    });
  }
});
