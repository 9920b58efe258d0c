// Deploys a Pulumi program onto the local dockerd through DockerMocks, or removes what it deployed.
//
//   tsx test/deploy/cli.ts up   --stack ci [--outputs .ci-out/outputs.json] [--dir .] [--program index.ts]
//   tsx test/deploy/cli.ts down --stack ci
//
// The mock runtime is process-global state, so this runs as its own process (test/support/deployed-stack.ts
// spawns it); mocha suites that use their own mocks are unaffected.
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { describe, isEmpty, removeStack } from "./teardown";
import { readStackConfig } from "./stack-config";
import type { ResourceEvent } from "./docker-mocks";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const started = Date.now();
const secs = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (msg: string) => process.stderr.write(`[deploy ${secs().padStart(6)}s] ${msg}\n`);

interface Args {
  command: "up" | "down";
  stack: string;
  outputs?: string;
  dir: string;
  program: string;
  timeoutS: number;
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== "up" && command !== "down") {
    throw new Error(
      `usage: cli.ts up|down --stack <name> [--outputs file] [--dir projectDir] [--program file]`,
    );
  }
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    if (!k.startsWith("--") || rest[i + 1] === undefined)
      throw new Error(`bad argument ${k}: expected --name value`);
    opts[k.slice(2)] = rest[i + 1];
  }
  const known = ["stack", "outputs", "dir", "program", "timeout"];
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw new Error(`unknown option --${k}`);
  if (!opts.stack) throw new Error("--stack is required");
  const dir = path.resolve(opts.dir ?? REPO_ROOT);
  return {
    command,
    stack: opts.stack,
    outputs: opts.outputs ? path.resolve(opts.outputs) : undefined,
    dir,
    program: path.resolve(dir, opts.program ?? "index.ts"),
    timeoutS: Number(opts.timeout ?? 900),
  };
}

/** Awaits an exported value: Outputs (nested ones too) and promises, with secrets unwrapped. */
async function settle(pulumi: typeof import("@pulumi/pulumi"), v: unknown): Promise<unknown> {
  const o = pulumi.output(v) as unknown as { promise(): Promise<unknown> };
  return o.promise();
}

async function up(args: Args): Promise<void> {
  const docker = new Docker();
  // Every `up` is a fresh create: clear what a crashed earlier run may have left so names do not collide.
  const stale = await removeStack(docker, args.stack);
  if (!isEmpty(stale)) throw new Error(`stack ${args.stack}: could not remove leftovers: ${describe(stale)}`);

  const cfg = readStackConfig(args.dir, args.stack);
  // The SDK reads its configuration from the environment when it first loads, so set it before requiring it.
  process.env.PULUMI_CONFIG = JSON.stringify(cfg.config);
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(cfg.secretKeys);
  process.env.PULUMI_NODEJS_STACK = args.stack;
  process.env.PULUMI_NODEJS_PROJECT = cfg.project;
  log(`stack ${args.stack} (project ${cfg.project}), ${Object.keys(cfg.config).length} config keys`);

  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const { DockerMocks } = require("./docker-mocks") as typeof import("./docker-mocks");

  const mocks = new DockerMocks(args.stack, docker, (e: ResourceEvent) =>
    log(`${e.error ? "FAILED" : "created"} ${e.type} ${e.name} (${e.seconds.toFixed(1)}s)`),
  );
  await pulumi.runtime.setMocks(mocks, cfg.project, args.stack, false);

  const errors: string[] = [];
  const onRejection = (e: unknown) => errors.push(e instanceof Error ? e.message : String(e));
  process.on("unhandledRejection", onRejection);

  process.chdir(args.dir);
  log(`loading ${path.relative(args.dir, args.program)}`);
  const timeout = setTimeout(() => {
    log(`timed out after ${args.timeoutS}s; resources created so far: ${mocks.events.length}`);
    process.exit(1);
  }, args.timeoutS * 1000);

  let exported = require(args.program) as Record<string, unknown> | (() => unknown);
  if (typeof exported === "function") exported = (await exported()) as Record<string, unknown>;
  else if (typeof exported.default === "function") {
    exported = (await (exported.default as () => unknown)()) as Record<string, unknown>;
  }
  const outputs: Record<string, unknown> = {};
  const collect = async () => {
    for (const [k, v] of Object.entries(exported ?? {})) {
      if (k === "__esModule") continue;
      try {
        outputs[k] = await settle(pulumi, v);
      } catch (e) {
        errors.push(`output ${k}: ${(e as Error).message}`);
      }
    }
  };
  // Fail fast: once a resource failed, outputs that depend on it may never settle. Let the creations
  // already in flight finish (so nothing is half-made), then report.
  await Promise.race([collect(), mocks.firstFailure]);
  await mocks.settled();
  clearTimeout(timeout);
  for (const f of mocks.failures) errors.push(`${f.type} ${f.name}: ${f.error}`);
  if (errors.length > 0) {
    throw new Error(`deploy of stack ${args.stack} failed:\n- ${[...new Set(errors)].join("\n- ")}`);
  }
  if (args.outputs) {
    fs.mkdirSync(path.dirname(args.outputs), { recursive: true });
    fs.writeFileSync(args.outputs, JSON.stringify(outputs, null, 2) + "\n");
    log(`outputs written to ${args.outputs}`);
  } else {
    process.stdout.write(JSON.stringify(outputs, null, 2) + "\n");
  }
  const custom = mocks.events.length;
  log(`deployed ${custom} resources in ${secs()}s`);
}

async function down(args: Args): Promise<void> {
  const left = await removeStack(new Docker(), args.stack);
  if (!isEmpty(left)) throw new Error(`stack ${args.stack}: still present after down: ${describe(left)}`);
  log(`stack ${args.stack}: no container, network or volume remains`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await (args.command === "up" ? up(args) : down(args));
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    log(e.message);
    process.exit(1);
  },
);
