// Strict recording mocks (as in pulumi-awsx's tests): every resource registration is recorded with its
// inputs, only the resource types the program is allowed to use are accepted, computed outputs are
// returned the way the providers document them, and any provider function call throws. `runProgram`
// loads index.ts fresh with a given config and resolves every stack export through a promise, never
// through an apply that might not run.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

/** Pulumi's wire marker for secret values: mocks receive secret inputs wrapped in it. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as any)[SIG_KEY] === SECRET_SIG;
}

/** Removes secret wrappers (for assertions on values); `isSecretValue` tells whether one was there. */
export function reveal<T = any>(v: unknown): T {
  if (isSecretValue(v)) return reveal((v as any).value);
  if (Array.isArray(v)) return v.map(reveal) as T;
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  }
  return v as T;
}

export const TYPES = {
  container: "docker:index/container:Container",
  network: "docker:index/network:Network",
  volume: "docker:index/volume:Volume",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  buildImage: "docker:index/image:Image",
  randomPassword: "random:index/randomPassword:RandomPassword",
} as const;
const ALLOWED = new Set<string>(Object.values(TYPES));

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  custom: boolean;
}

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: Recorded[] = [];
  readonly calls: string[] = [];
  private nextIp = 2;

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    this.calls.push(args.token);
    throw new Error(`unmocked provider function call: ${args.token}`);
  }

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, custom: !!args.custom });
    if (!args.custom) {
      if (!args.type.startsWith("proving-ground:components:")) {
        throw new Error(`unexpected component type ${args.type}`);
      }
      return { id: undefined, state: {} };
    }
    if (!ALLOWED.has(args.type)) throw new Error(`resource type not allowed in this program: ${args.type}`);
    const inputs = args.inputs;
    const state: Record<string, any> = { ...inputs };
    switch (args.type) {
      case TYPES.container: {
        const nets: { name: string }[] = reveal(inputs.networksAdvanced ?? []);
        state.networkDatas = nets.map((n) => ({
          networkName: n.name,
          ipAddress: `172.30.0.${this.nextIp++}`,
          ipPrefixLength: 16,
          gateway: "172.30.0.1",
          macAddress: "02:42:ac:1e:00:02",
        }));
        if (inputs.attach) {
          state.exitCode = 0;
          state.containerLogs = `${'{"step":"decide","ok":true}\n'.repeat(30)}{"step":"result","ok":true}\n`;
        }
        break;
      }
      case TYPES.remoteImage:
        state.imageId = sha(inputs.name);
        state.repoDigest = `${inputs.name}@${sha(inputs.name)}`;
        break;
      case TYPES.buildImage: {
        // A local build (skipPush): repoDigest is the local image id, `sha256:<64 hex>`, not name@digest.
        const build = reveal(inputs.build ?? {});
        state.imageName = inputs.imageName;
        state.baseImageName = inputs.imageName;
        state.registryServer = "";
        state.context = build.context;
        state.dockerfile = build.dockerfile;
        state.platform = build.platform;
        state.repoDigest = sha(JSON.stringify([inputs.imageName, build]));
        break;
      }
      case TYPES.randomPassword:
        state.result = `mockpw${"x".repeat(Math.max(0, (inputs.length ?? 16) - 6))}`;
        break;
    }
    return { id: `${args.name}-id`, state };
  }

  of(type: string): Recorded[] {
    return this.resources.filter((r) => r.type === type);
  }

  containers(): Recorded[] {
    return this.of(TYPES.container);
  }

  /** Container whose (docker) name ends with `-<suffix>`, e.g. "nats-0". */
  container(suffix: string): Recorded {
    const c = this.containers().find((r) => String(r.inputs.name).endsWith(`-${suffix}`));
    if (!c)
      throw new Error(`no container named *-${suffix}; have ${this.containers().map((r) => r.inputs.name)}`);
    return c;
  }
}

export interface ProgramRun {
  mocks: RecordingMocks;
  /** Resolved stack exports. */
  outputs: Record<string, any>;
  /** Whether each export is a secret. */
  secret: Record<string, boolean>;
}

/** Values in the `proving-ground:` namespace; keys without a namespace get it. */
export type ConfigValues = Record<string, string>;

function fullConfig(values: ConfigValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k.includes(":") ? k : `proving-ground:${k}`, v]),
  );
}

/** Runs index.ts under fresh mocks with the given config (as PULUMI_CONFIG) and resolves its exports. */
export async function runProgram(
  values: ConfigValues,
  opts: { stack?: string; secretKeys?: string[]; preview?: boolean; mocks?: RecordingMocks } = {},
): Promise<ProgramRun> {
  const config = fullConfig(values);
  const secretKeys = (opts.secretKeys ?? []).map((k) => (k.includes(":") ? k : `proving-ground:${k}`));
  process.env.PULUMI_CONFIG = JSON.stringify(config);
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
  // The cloud targets' tests pass a subclass that also accepts aws/kubernetes resources.
  const mocks = opts.mocks ?? new RecordingMocks();
  await pulumi.runtime.setMocks(mocks, "proving-ground", opts.stack ?? "test", opts.preview ?? false);
  // setMocks keeps the runtime's config store; load the same JSON into it explicitly.
  pulumi.runtime.setAllConfig(config, secretKeys);
  for (const id of Object.keys(require.cache)) {
    if (
      id.startsWith(REPO) &&
      !id.includes(`${path.sep}node_modules${path.sep}`) &&
      !id.includes(`${path.sep}test${path.sep}`)
    ) {
      delete require.cache[id];
    }
  }
  const program = require(path.join(REPO, "index.ts")) as Record<string, unknown>;
  const outputs: Record<string, any> = {};
  const secret: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(program)) {
    if (pulumi.Output.isInstance(v)) {
      outputs[k] = await (v as any).promise();
      secret[k] = await (v as any).isSecret;
    } else {
      outputs[k] = v;
      secret[k] = false;
    }
  }
  // Resources no export depends on (e.g. optional exporters) may still be registering.
  await (pulumi.runtime as any).waitForRPCs();
  return { mocks, outputs, secret };
}

/** Removes the config runProgram put into the environment, so later suites and their children start clean. */
export function clearProgramEnv(): void {
  delete process.env.PULUMI_CONFIG;
  delete process.env.PULUMI_CONFIG_SECRET_KEYS;
}
