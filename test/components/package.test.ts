// The npm package of the components (issue 16, items 1 and 4): `npm run pack:components` builds and packs
// @proving-ground/components; the tarball installs into an empty folder from the registry's peers, loads
// with require and import under plain node, runs its components under Pulumi's mocks, and its .d.ts
// type-check a consumer. The emitted tree holds nothing of stacks/, tooling/, test/ and the like, every
// field of the public types is documented, and the API check guards the public args against the last
// released version (packages/components/api/<version>/), with cases that prove it can fail.
//
// The consumer folder lives in the system temp dir, keyed by the package's dependencies: the first run
// installs into it empty (~30 s, the peers from the registry), later runs replace only the package (~4 s).
// COMPONENTS_PACKAGE_FRESH=1 starts from an empty folder every time.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as ts from "typescript";
import { renderValidationScript } from "../../components/validation";
import {
  checkApi,
  checkSource,
  isMajorBump,
  lastRelease,
  readDtsTree,
  undocumentedKeys,
  type DtsTree,
} from "../../scripts/api-check";
import {
  API_DIR,
  buildPackage,
  emittedProblems,
  PACKAGE_DIST,
  packageJson,
  packPackage,
  requiredSpecifiers,
  tarballPath,
  walkFiles,
} from "../../scripts/components-package";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");
const NAME = "@proving-ground/components";

/** The value exports a consumer gets (types are checked by the consumer program below). */
const VALUE_EXPORTS = [
  "AwsNetwork",
  "BeamlineService",
  "DockerHost",
  "GatewayLoadBalancer",
  "HostProfile",
  "NATS_CLIENT_PORT",
  "NATS_CLUSTER_PORT",
  "NATS_MONITOR_PORT",
  "NatsCluster",
  "Observability",
  "ROLE_LABEL",
  "RoleSecurityGroups",
  "SERVICE_PORTS",
  "STACK_LABEL",
  "ValidationJob",
  "amazonLinuxAmi",
  "kubernetesMonitoring",
  "limits",
  "listenerPort",
  "natsClientUrl",
  "natsNodeNames",
  "natsStatefulSet",
  "objectPrefix",
  "parseMemory",
  "replicaNames",
  "roleLabels",
  "roleSelector",
  "serviceDeployment",
  "serviceSpec",
  "subnetCidrs",
  "tagger",
];

/** A consumer program: every component's args in use, and one wrong arg the compiler must refuse. */
const CONSUMER_TS = `import * as pulumi from "@pulumi/pulumi";
import {
  BeamlineService, limits, natsClientUrl, NatsCluster, Observability, ValidationJob, serviceSpec,
  serviceDeployment, natsStatefulSet, kubernetesMonitoring, AwsNetwork, RoleSecurityGroups, tagger,
  type BeamlineServiceArgs, type NatsClusterArgs, type ObservabilityArgs, type ValidationJobArgs,
  type KubeContext, type AwsNetworkArgs, type DockerHostArgs, type GatewayLoadBalancerArgs, type Limits,
} from "${NAME}";

const small: Limits = limits(0.25, "128Mi");
const natsArgs: NatsClusterArgs = {
  stack: "team", namePrefix: "team", network: "team-net", image: "nats:2.15.3-alpine",
  replicas: 3, password: pulumi.secret("pw"), limits: small,
};
const nats = new NatsCluster("nats", natsArgs);
const router: BeamlineServiceArgs = {
  kind: "router", stack: "team", namePrefix: "team", network: "team-net", limits: small,
  image: { kind: "build", dockerfile: "router/Dockerfile", context: "." }, streamReplicas: 3,
  nats: { url: natsClientUrl(3), user: "beamline", password: pulumi.secret("pw") }, startAfter: nats.containers,
};
const svc = new BeamlineService("router", router);
const obs: ObservabilityArgs = {
  stack: "team", namePrefix: "team", network: "team-net", alertWebhookUrl: "http://hook:9/",
  gateways: [], routers: svc.aliases.map((a) => a + ":9091"), natsMonitors: ["http://nats-0:8222"],
  gatewayProbes: [], prometheus: { image: "prom/prometheus:v2.53.2", hostPort: 9090 },
  alertmanager: { image: "prom/alertmanager:v0.27.0", hostPort: 9093 },
  blackbox: { image: "prom/blackbox-exporter:v0.25.0" },
};
new Observability("obs", obs);
const job: ValidationJobArgs = { stack: "team", namePrefix: "team", network: "team-net", image: svc.imageRef, dependsOn: svc.containers };
new ValidationJob("validation", job);
const ctx: KubeContext = { stack: "team", namespace: "team", namespaceName: "team" };
natsStatefulSet(ctx, { image: "nats:2.15.3-alpine", replicas: 1, user: "u", password: "p", limits: small, secretName: "s", jetstreamStorage: "1Gi" });
serviceDeployment(ctx, serviceSpec({ kind: "gateway", image: { kind: "image", name: "gw:1" }, limits: small, nats: { url: "nats://nats-0:4222", user: "u", password: "p" } }), { replicas: 2, job: "gateway", secretName: "s" });
kubernetesMonitoring(ctx, { natsNodes: ["nats-0"], prometheusImage: "p:1", alertmanagerImage: "a:1", blackboxImage: "b:1", alertWebhookUrl: "http://h/", scrapeIntervalSeconds: 15, prometheusOperator: false });
const tags = tagger("team", "dev");
const net: AwsNetworkArgs = { vpcCidr: "10.0.0.0/16", availabilityZones: ["a", "b"], zones: 2, natGatewayPlacement: "single", tags };
const aws = new AwsNetwork("net", net);
new RoleSecurityGroups("sg", { vpcId: aws.vpc.id, lbIngressCidrs: ["0.0.0.0/0"], listenerPort: 80, tags });
export type Used = [DockerHostArgs, GatewayLoadBalancerArgs];
// @ts-expect-error -- NATS runs 1 or 3 nodes: the args are typed, not any
export const wrong: NatsClusterArgs = { ...natsArgs, replicas: 2 };
`;

/** Under Pulumi's mocks, from the installed package: the components register their resources. */
const MOCKED_RUN_JS = `const pulumi = require("@pulumi/pulumi");
const types = [];
pulumi.runtime.setMocks({
  newResource: (a) => { types.push(a.type); return { id: a.name + "-id", state: a.inputs }; },
  call: (a) => a.inputs,
}, "project", "stack", false);
const c = require("${NAME}");
const small = c.limits(0.25, "128Mi");
const nats = new c.NatsCluster("nats", { stack: "s", namePrefix: "pg-s", network: "net", image: "nats:2.15.3-alpine", replicas: 3, password: "pw", limits: small });
const router = new c.BeamlineService("router", { kind: "router", stack: "s", namePrefix: "pg-s", network: "net", image: { kind: "image", name: "team/router:1" }, limits: small, nats: { url: c.natsClientUrl(3), user: "u", password: "pw" } });
const job = new c.ValidationJob("validation", { stack: "s", namePrefix: "pg-s", network: "net", image: "gw", dependsOn: router.containers });
job.container.uploads.apply((u) => {
  setTimeout(() => console.log(JSON.stringify({ types: types.sort(), script: u[0].content.slice(0, 60) })), 200);
});
`;

function sha(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 12);
}

/** The consumer folder: empty on first use (or always with COMPONENTS_PACKAGE_FRESH=1), then reused. */
function consumerDir(): string {
  const pkg = packageJson();
  const key = sha(JSON.stringify([pkg.dependencies, pkg.peerDependencies, process.version]));
  const dir = path.join(os.tmpdir(), `proving-ground-components-consumer-${key}`);
  if (process.env.COMPONENTS_PACKAGE_FRESH === "1") fs.rmSync(dir, { recursive: true, force: true });
  if (!fs.existsSync(path.join(dir, "node_modules"))) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    assert.deepEqual(fs.readdirSync(dir), [], "the first install goes into an empty folder");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  } else {
    // Only the package is replaced; the peers the first install fetched stay.
    fs.rmSync(path.join(dir, "node_modules", ...NAME.split("/")), { recursive: true, force: true });
  }
  return dir;
}

/** Type errors of `files` (full checking of those, not of the libraries they use). */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    strict: true,
    noEmit: true,
    types: [],
  });
  return files.flatMap((f) => {
    const sf = program.getSourceFile(f);
    if (!sf) return [`${f}: not part of the program`];
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map(
      (d) =>
        `${path.basename(f)}:${sf.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
    );
  });
}

describe("components package @proving-ground/components", function () {
  this.timeout(300_000);
  let tgz: string;
  let consumer: string;
  let installed: string;

  before(async () => {
    buildPackage();
    tgz = packPackage();
    consumer = consumerDir();
    await run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tgz], {
      cwd: consumer,
      maxBuffer: 16 * 1024 * 1024,
    });
    installed = path.join(consumer, "node_modules", ...NAME.split("/"));
  });

  it("packs a tarball named by its version, from its files only", () => {
    assert.equal(tgz, tarballPath());
    assert.equal(tgz, path.join(REPO, "packages/components/dist-pack/proving-ground-components-0.1.0.tgz"));
    const files = walkFiles(installed);
    assert.ok(
      files.includes("dist/components/index.d.ts") && files.includes("CHANGELOG.md"),
      files.join(" "),
    );
    assert.deepEqual(
      files.filter((f) => !/^dist\/.*\.(js|d\.ts)$/.test(f)),
      ["CHANGELOG.md", "README.md", "package.json"],
    );
    // The peers came from the registry at the versions the package pins.
    for (const [peer, version] of Object.entries(packageJson().peerDependencies ?? {})) {
      const installedPeer = JSON.parse(
        fs.readFileSync(path.join(consumer, "node_modules", ...peer.split("/"), "package.json"), "utf8"),
      );
      assert.equal(installedPeer.version, version, peer);
    }
    // The installed copy is this build.
    assert.equal(
      fs.readFileSync(path.join(installed, "dist/components/index.js"), "utf8"),
      fs.readFileSync(path.join(PACKAGE_DIST, "components/index.js"), "utf8"),
    );
  });

  it("emits only components/, services/common/ and monitoring/: nothing of stacks/, tooling/, test/, ...", () => {
    assert.deepEqual(emittedProblems(PACKAGE_DIST, packageJson()), []);
    const top = [...new Set(walkFiles(PACKAGE_DIST).map((f) => f.split("/").slice(0, 2).join("/")))];
    assert.ok(
      top.every((t) => t.startsWith("components/") || t === "services/common" || t.startsWith("monitoring/")),
      top.join(", "),
    );
  });

  it("the emitted-tree check fails on a file or a require outside the shipped folders", () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), "pg-dist-"));
    try {
      const put = (rel: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dist, rel)), { recursive: true });
        fs.writeFileSync(path.join(dist, rel), text);
      };
      put(
        "components/index.js",
        'require("../stacks/config");\nrequire("dockerode");\nrequire("@pulumi/docker");',
      );
      put("tooling/stats.js", "");
      assert.deepEqual(
        emittedProblems(dist, {
          name: NAME,
          version: "0.1.0",
          peerDependencies: { "@pulumi/docker": "4.11.0" },
        }),
        [
          "components/index.js: requires ../stacks/config (stacks/config), outside the package",
          "components/index.js: requires dockerode, not a dependency or peer dependency of the package",
          "tooling/stats.js: outside components, services/common, monitoring (reachable from the entry point)",
        ],
      );
    } finally {
      fs.rmSync(dist, { recursive: true, force: true });
    }
  });

  it("declares the Pulumi packages it imports as peers at the root's versions, and nothing it does not use", () => {
    const pkg = packageJson();
    const root = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    const imported = new Set(
      walkFiles(PACKAGE_DIST)
        .filter((f) => f.endsWith(".js"))
        .flatMap((f) => requiredSpecifiers(fs.readFileSync(path.join(PACKAGE_DIST, f), "utf8")))
        .filter((s) => s.startsWith("@pulumi/"))
        .map((s) => s.split("/").slice(0, 2).join("/")),
    );
    assert.deepEqual(Object.keys(pkg.peerDependencies ?? {}).sort(), [...imported].sort());
    for (const [name, version] of Object.entries(pkg.peerDependencies ?? {}))
      assert.equal(version, root.dependencies[name], `${name}: the root pins ${root.dependencies[name]}`);
    for (const [name, version] of Object.entries(pkg.dependencies ?? {}))
      assert.equal(version, root.dependencies[name] ?? root.devDependencies[name], name);
  });

  it("documents every field of its public types, and what leaving an optional one out means", () => {
    assert.deepEqual(undocumentedKeys(readDtsTree(PACKAGE_DIST)), []);
  });

  it("loads from the installed tarball with require and with import, exporting the components", async () => {
    const list =
      "console.log(JSON.stringify(Object.keys(c).filter((k) => !['default', 'module.exports', '__esModule'].includes(k)).sort()))";
    const cjs = await run(process.execPath, ["-e", `const c = require("${NAME}"); ${list}`], {
      cwd: consumer,
    });
    assert.deepEqual(JSON.parse(cjs.stdout), VALUE_EXPORTS);
    const esm = await run(
      process.execPath,
      ["--input-type=module", "-e", `import * as c from "${NAME}"; ${list}`],
      {
        cwd: consumer,
      },
    );
    assert.deepEqual(JSON.parse(esm.stdout), VALUE_EXPORTS);
  });

  it("runs its components under Pulumi's mocks with no TypeScript installed (the smoke script is prebuilt)", async () => {
    assert.throws(() => require.resolve("typescript", { paths: [consumer] }), /Cannot find module/);
    const file = path.join(consumer, "mocked-run.js");
    fs.writeFileSync(file, MOCKED_RUN_JS);
    const { stdout } = await run(process.execPath, [file], { cwd: consumer });
    const out = JSON.parse(stdout.trim().split("\n").pop()!);
    const count = (t: string) => out.types.filter((x: string) => x === t).length;
    assert.equal(count("proving-ground:components:NatsCluster"), 1);
    assert.equal(count("docker:index/container:Container"), 3 + 1 + 1, out.types.join(" "));
    assert.equal(count("docker:index/volume:Volume"), 3);
    assert.match(out.script, /^\/\/ Compiled from components\/validation-smoke\.ts/);
    // The same script the repository's stacks upload: a program on the package runs the same job.
    assert.equal(
      fs.readFileSync(path.join(installed, "dist/components/validation-smoke.rendered.js"), "utf8"),
      renderValidationScript(),
    );
  });

  // The consumer's @ts-expect-error line proves the args are typed: were `replicas: 2` accepted, the unused
  // directive would be an error itself.
  it("its .d.ts type-check a consumer program (and refuse a wrong arg)", () => {
    const file = path.join(consumer, "consumer.ts");
    fs.writeFileSync(file, CONSUMER_TS);
    const own = walkFiles(path.join(installed, "dist"))
      .filter((f) => f.endsWith(".d.ts"))
      .map((f) => path.join(installed, "dist", f));
    // The example of README.md's "Use the components in your own program" compiles as printed.
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Use the components in your own program"));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(example, "README.md: no TypeScript example in the section");
    const readmeFile = path.join(consumer, "readme-example.ts");
    fs.writeFileSync(readmeFile, example);
    assert.deepEqual(typeErrors([file, readmeFile, ...own]), []);
  });
});

describe("components package: the API check against the last release", function () {
  this.timeout(120_000);
  let released: { version: string; files: DtsTree };
  let current: DtsTree;

  before(() => {
    if (!fs.existsSync(path.join(PACKAGE_DIST, "components", "index.d.ts"))) buildPackage();
    const version = lastRelease(API_DIR);
    assert.ok(version, `no released API in ${API_DIR}`);
    released = { version, files: readDtsTree(path.join(API_DIR, version)) };
    current = readDtsTree(PACKAGE_DIST);
  });

  /** The released tree with one file edited. */
  function edited(file: string, edit: (text: string) => string): DtsTree {
    const text = released.files[file];
    const out = edit(text);
    assert.notEqual(out, text, `the edit of ${file} changed nothing`);
    return { ...released.files, [file]: out };
  }
  /** Edits inside one interface only (other interfaces may have keys of the same name). */
  const inInterface = (name: string, edit: (body: string) => string) => (text: string) => {
    const i = text.indexOf(`export interface ${name} `);
    assert.ok(i >= 0, `no interface ${name}`);
    const j = text.indexOf("\n}\n", i);
    return text.slice(0, i) + edit(text.slice(i, j)) + text.slice(j);
  };

  it("the current public API keeps every export and arg of the last release, or the version is a major step", () => {
    const r = checkApi(released, { version: packageJson().version, files: current });
    assert.deepEqual(
      r.failures.map((b) => b.message),
      [],
      `breaking changes without a major version in packages/components/package.json (or record a new release)`,
    );
  });

  it("fails on a removed arg and on a narrowed one, naming them", () => {
    const files = edited(
      "components/nats.d.ts",
      inInterface("NatsClusterArgs", (b) =>
        b.replace(/\n.*\n\s*maxFileStore\?: string;/, "").replace("replicas?: 1 | 3;", "replicas?: 1;"),
      ),
    );
    const r = checkApi(released, { version: "0.1.1", files });
    const messages = r.failures.map((b) => b.message);
    assert.ok(messages.includes("NatsClusterArgs.maxFileStore was removed"), messages.join("\n"));
    assert.ok(
      messages.includes(
        "NatsClusterArgs.replicas changed type: the old 1 | 3 | undefined is no longer accepted",
      ),
      messages.join("\n"),
    );
    assert.ok(r.failures.some((b) => b.name === "NatsClusterArgs.replicas"));
    // The same change with a major step (0.x: a minor one) passes, the breaks still listed.
    const major = checkApi(released, { version: "0.2.0", files });
    assert.equal(major.failures.length, 0);
    assert.ok(major.breaks.length >= 2);
  });

  it("fails on a removed export, a new required arg and an optional arg made required", () => {
    const noJob = edited("components/index.d.ts", (t) =>
      t.replace(/export \{ ValidationJob, type ValidationJobArgs \} from "\.\/validation";\n/, ""),
    );
    const messages = checkApi(released, { version: "0.1.1", files: noJob }).failures.map((b) => b.message);
    assert.ok(messages.includes("export ValidationJob (a class) was removed"), messages.join("\n"));
    assert.ok(messages.includes("export ValidationJobArgs (a type) was removed"), messages.join("\n"));

    const required = edited(
      "components/observability.d.ts",
      inInterface("ObservabilityArgs", (b) =>
        b
          .replace("bindAddress?: string;", "bindAddress: string;")
          .replace("network: ", "region: string;\n    network: "),
      ),
    );
    const m2 = checkApi(released, { version: "0.1.1", files: required }).failures.map((b) => b.message);
    assert.ok(
      m2.some((m) => m.startsWith("ObservabilityArgs.bindAddress changed type")),
      m2.join("\n"),
    );
    assert.ok(
      m2.some((m) => m.startsWith("ObservabilityArgs: an old value is no longer accepted")),
      m2.join("\n"),
    );
  });

  it("passes an added optional arg and a widened one", () => {
    const files = edited(
      "components/nats.d.ts",
      inInterface("NatsClusterArgs", (b) =>
        b.replace(
          "replicas?: 1 | 3;",
          "replicas?: 1 | 3 | 5;\n    /** New. Default none. */\n    tls?: boolean;",
        ),
      ),
    );
    const r = checkApi(released, { version: "0.1.1", files });
    assert.deepEqual(r.breaks, []);
  });

  it("generates one compiler line per check and reads versions as semver", () => {
    const { source } = checkSource(
      [{ name: "XArgs", kind: "type", keys: ["a"], keyTypes: { a: "string" } }],
      new Set(),
    );
    assert.match(source, /^type c0 = New\.XArgs;$/m);
    assert.match(source, /^const c1: Has<New\.XArgs, "a"> = true;$/m);
    assert.match(source, /^const c2: Kept<Old\.XArgs, New\.XArgs, "a"> = true;$/m);
    assert.match(source, /^const c3: Fits<Old\.XArgs, New\.XArgs> = true;$/m);
    assert.equal(isMajorBump("0.1.0", "0.1.5"), false);
    assert.equal(isMajorBump("0.1.0", "0.2.0"), true);
    assert.equal(isMajorBump("1.4.0", "1.9.0"), false);
    assert.equal(isMajorBump("1.4.0", "2.0.0"), true);
  });
});
