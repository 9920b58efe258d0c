// `npm run bench:cpu`: the decide path's latency at a fixed rate with the gateway's and router's CPU limit
// (gatewayCpus = routerCpus) at 0.5, 1 and unlimited, in one run, to choose the users' default from.
//
// The `ci` configuration is deployed as its own stack `bench-cpu` (host ports 38080/39090/39093, so it
// can run beside a `ci` test deployment and `npm run bench:engine`; config generated from Pulumi.ci.yaml,
// state in a temp folder, everything destroyed at the end: scripts/bench-stack.ts). NATS keeps its own
// limit (natsCpus); only the services' limit changes. For each step:
//   1. `up` with gatewayCpus and routerCpus set to the step's limit (the engine replaces the gateway and
//      router containers, so every step starts with fresh processes; the first step's come from the
//      initial `up`), then the limit the containers really got is read back from Docker (NanoCpus);
//   2. a warm-up (--warmup S, default 10 s, not measured: JIT, connections, lazy allocations);
//   3. the `rate` load profile of loadtests/profiles.ts (the open-model driver: POST decide at a fixed
//      rate, --rate N, default 300/s, for --duration S, default 30 s; 48 tenants in turn with their tokens
//      from the stack outputs; every request a new request_id, so each decide records its idempotency
//      entry), which samples CPU of every container (ResourceSampler, docker source) meanwhile; latency is
//      measured from the intended send time (no coordinated omission);
//   4. CFS throttling of the gateway and router containers from the Docker stats API, sampled each second
//      by the profile (tooling/resources.ts): share of throttled periods, throttled ms per second.
// "Unlimited" is a limit of all host cores (os.cpus().length): stacks/config.ts needs a number and the
// policy pack a limit on every container, and a CFS quota equal to all cores never binds (the container
// cannot use more CPU than the host has; its throttled share shows it).
//
// Order: 0.5, 1, unlimited, repeated --repeat N times (default 1), then 0.5 once more as a check. The
// steps run on the same NATS, whose JetStream intake stream and idempotency KV grow with every step, and
// on a machine whose load may change during the run: a later step could be favoured (warm host caches,
// images, page cache) or penalised (larger streams, a busier host). The first and the last step have the
// same limit, so the difference between them is what the order alone does; a difference between limits
// smaller than that is not a result. Both 0.5 rows are printed.
//
// Progress goes to stderr; a table to stdout (limit, achieved req/s, p50/p95/p99/max ms, success %, per
// container CPU % mean, throttled share and ms/s); the JSON to reports/bench-cpu/<timestamp>.json.
// Flags: --rate N, --duration S, --warmup S, --repeat N. On a shared machine the numbers are noisy.
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { assertGatewayHealthy, validateOutputs } from "../tooling/outputs";
import {
  DEFAULT_SETTINGS,
  LoadTarget,
  ProfileResult,
  runProfile,
  RunSettings,
  warmUp,
} from "../loadtests/profiles";
import { LOAD_TENANTS } from "../loadtests/validation-stack";
import type { InstanceTrend } from "../tooling/resources";
import type { StackOutputs } from "../stacks/outputs";
import { formatTable, HostPorts, progressLogger, withBenchStack, writeJsonReport } from "./bench-stack";
import { plannedOperations, urnTypeName } from "./engine";

const STACK = "bench-cpu";
/** Other host ports than ci (18080/19090/19093) and bench-engine (28080/29090/29093). */
const PORTS: HostPorts = { gatewayHostPort: 38080, prometheusHostPort: 39090, alertmanagerHostPort: 39093 };
/** stacks/config.ts accepts 0.01..64 cores. */
const MAX_CPUS = 64;

// ---------------------------------------------------------------------------------------------- flags

export interface Options {
  /** Decide requests per second. */
  rate: number;
  /** Measured seconds per step. */
  durationS: number;
  /** Unmeasured seconds of traffic before each measurement. */
  warmupS: number;
  /** How often the sequence 0.5, 1, unlimited runs before the 0.5 check. */
  repeat: number;
}

export const DEFAULT_OPTIONS: Options = { rate: 300, durationS: 30, warmupS: 10, repeat: 1 };

const FLAGS: Record<string, { key: keyof Options; expected: string; ok: (n: number) => boolean }> = {
  "--rate": { key: "rate", expected: "a positive number", ok: (n) => n > 0 },
  "--duration": { key: "durationS", expected: "a positive number of seconds", ok: (n) => n > 0 },
  "--warmup": { key: "warmupS", expected: "a number of seconds >= 0", ok: (n) => n >= 0 },
  "--repeat": { key: "repeat", expected: "a whole number >= 1", ok: (n) => Number.isInteger(n) && n >= 1 },
};

export function parseArgs(argv: string[]): Options {
  const o: Options = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const flag = FLAGS[name];
    if (!flag) throw new Error(`unknown argument ${a} (flags: ${Object.keys(FLAGS).join(" N, ")} N)`);
    const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
    const n = v === undefined || v.trim() === "" ? NaN : Number(v);
    if (!Number.isFinite(n) || !flag.ok(n))
      throw new Error(`${name}: expected ${flag.expected}, got ${v === undefined ? "nothing" : v}`);
    o[flag.key] = n;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------- steps

export interface Step {
  /** gatewayCpus and routerCpus. */
  cpus: number;
  label: string;
  /** The limit is all host cores (it cannot bind). */
  unlimited: boolean;
  /** The repeated first step at the end. */
  check: boolean;
}

/** 0.5, 1, unlimited (all `cores`), `repeat` times, then 0.5 again as the check. */
export function stepSequence(repeat: number, cores: number): Step[] {
  const all = Math.min(cores, MAX_CPUS);
  const allLabel = cores > MAX_CPUS ? `${all} (config maximum, host has ${cores})` : `${all} (all cores)`;
  const limits: Step[] = [
    { cpus: 0.5, label: "0.5", unlimited: false, check: false },
    { cpus: 1, label: all === 1 ? "1 (all cores)" : "1", unlimited: all === 1, check: false },
  ];
  if (all > 1) limits.push({ cpus: all, label: allLabel, unlimited: cores <= MAX_CPUS, check: false });
  const steps: Step[] = [];
  for (let r = 0; r < repeat; r++) steps.push(...limits.map((s) => ({ ...s })));
  steps.push({ cpus: 0.5, label: "0.5 (check)", unlimited: false, check: true });
  return steps;
}

// ----------------------------------------------------------------------------------------------- rows

export interface Row {
  step: Step;
  /** Completions per second over the measurement. */
  achievedRps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** ok / planned, 0..1. */
  successRate: number;
  /** Per container (short name, e.g. gateway-0): mean CPU % over the measurement, 100 = one core. */
  cpuPct: Record<string, number | null>;
  /** Per container: throttling over the measurement (share of periods, ms/s); null when not read. */
  throttling: Record<string, Pick<InstanceTrend, "throttledShare" | "throttledMsPerS"> | null>;
}

const fixed = (x: number | null | undefined, digits: number) =>
  x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);

/** The table of the run: one line per step, CPU and throttling columns per container. */
export function renderTable(rows: Row[], containers: string[]): string {
  const head = ["limit (cpus)", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "success %"];
  for (const c of containers) head.push(`${c} CPU %`, `${c} throttled %`, `${c} throttled ms/s`);
  const cells = rows.map((r) => {
    const line = [
      r.step.label,
      fixed(r.achievedRps, 0),
      fixed(r.p50Ms, 1),
      fixed(r.p95Ms, 1),
      fixed(r.p99Ms, 1),
      fixed(r.maxMs, 0),
      fixed(r.successRate * 100, 2),
    ];
    for (const c of containers) {
      const t = r.throttling[c];
      const share = t?.throttledShare;
      line.push(
        fixed(r.cpuPct[c], 0),
        fixed(share == null ? null : share * 100, 1),
        fixed(t?.throttledMsPerS, 1),
      );
    }
    return line;
  });
  return formatTable(head, cells, (i) => i > 0);
}

// ----------------------------------------------------------------------------------------------- main

/** What the engine did to each gateway/router container in an update ("same" when nothing). */
function containerOps(events: EngineEvent[], containers: string[]): Record<string, string> {
  const ops = new Map(
    [...plannedOperations(events)]
      .map(([urn, op]) => [urnTypeName(urn).split("::"), op] as const)
      .filter(([[type]]) => type === "docker:index/container:Container")
      .map(([[, name], op]) => [name, op]),
  );
  return Object.fromEntries(containers.map((c) => [c, ops.get(c) ?? "same"]));
}

/** The CPU limit Docker enforces on a container, in cores (NanoCpus, or quota / period). */
async function effectiveCpus(docker: Docker, name: string): Promise<number | null> {
  const h = (await docker.getContainer(name).inspect()).HostConfig as {
    NanoCpus?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
  };
  if (h.NanoCpus) return h.NanoCpus / 1e9;
  if (h.CpuQuota && h.CpuQuota > 0) return h.CpuQuota / (h.CpuPeriod || 100_000);
  return null;
}

async function waitHealthy(outputs: StackOutputs, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertGatewayHealthy(outputs);
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function main(options: Options): Promise<void> {
  const started = new Date();
  const progress = progressLogger("bench-cpu", started.getTime());
  const cores = os.cpus().length;
  const steps = stepSequence(options.repeat, cores);
  const docker = new Docker();
  const load0 = os.loadavg();
  const results: (Row & { details: Record<string, unknown> })[] = [];
  let shortNames: string[] = [];

  await withBenchStack({ stack: STACK, ports: PORTS, progress }, async (run) => {
    progress(`up from empty (ci configuration as stack ${STACK}; builds or reuses the images)`);
    await run.stack.up({ configFile: run.lastConfig, color: "never" });

    for (const [n, step] of steps.entries()) {
      if (run.signal.aborted) throw run.signal.reason;
      const tag = `step ${n + 1}/${steps.length}, cpus ${step.label}`;
      run.lastConfig = run.config(`cpus-${step.cpus}`, { gatewayCpus: step.cpus, routerCpus: step.cpus });
      const events: EngineEvent[] = [];
      const t0 = Date.now();
      const up = await run.stack.up({
        configFile: run.lastConfig,
        color: "never",
        onEvent: (e) => events.push(e),
      });
      const upSeconds = (Date.now() - t0) / 1000;
      const outputs = validateOutputs(
        Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])),
        `stack ${STACK}`,
      );
      const containers = (["gateway", "router"] as const).flatMap(
        (r) => outputs.chaosTargets[r]?.containers ?? [],
      );
      const short = (c: string) => c.replace(`pg-${STACK}-`, "");
      shortNames = containers.map(short);
      const ops = containerOps(events, shortNames);
      const enforced = Object.fromEntries(
        await Promise.all(containers.map(async (c) => [short(c), await effectiveCpus(docker, c)] as const)),
      );
      const wrong = Object.entries(enforced).filter(([, v]) => v === null || Math.abs(v - step.cpus) > 1e-6);
      if (wrong.length > 0)
        throw new Error(`${tag}: Docker enforces ${JSON.stringify(enforced)}, expected ${step.cpus} cores`);
      progress(
        `${tag}: up ${upSeconds.toFixed(1)} s (${Object.entries(ops)
          .map(([c, op]) => `${c} ${op}`)
          .join(", ")}); Docker limit ${step.cpus} cores`,
      );
      await waitHealthy(outputs);

      const target: LoadTarget = { outputs, tenants: LOAD_TENANTS, tenantTokens: outputs.tenantTokens };
      let tick = 0;
      const settings: RunSettings = {
        ...DEFAULT_SETTINGS,
        rate: options.rate,
        durationS: options.durationS,
        baseline: false,
        onProgress: (line) => {
          if (++tick % 10 === 0) progress(`${tag}: ${line}`);
        },
      };
      if (options.warmupS > 0) {
        progress(`${tag}: warm-up ${options.warmupS} s (not measured)`);
        await run.untilInterrupted(warmUp(target, settings, options.warmupS));
      }
      progress(`${tag}: measuring ${options.rate} req/s for ${options.durationS} s`);
      const profile: ProfileResult = await run.untilInterrupted(runProfile("rate", target, settings));
      const notes: string[] = [];
      const throttling: Row["throttling"] = Object.fromEntries(
        shortNames.map((c) => {
          const r = profile.resources.find((x) => short(x.instance) === c);
          return [c, r ? { throttledShare: r.throttledShare, throttledMsPerS: r.throttledMsPerS } : null];
        }),
      );
      const cpuPct = Object.fromEntries(
        shortNames.map((c) => [
          c,
          profile.resources.find((r) => short(r.instance) === c)?.cpuMeanPct ?? null,
        ]),
      );
      const v = profile.values;
      const row: Row = {
        step,
        achievedRps: v.throughput_rps ?? NaN,
        p50Ms: v.p50_ms ?? NaN,
        p95Ms: v.p95_ms ?? NaN,
        p99Ms: v.p99_ms ?? NaN,
        maxMs: v.max_ms ?? NaN,
        successRate: v.success_rate ?? 0,
        cpuPct,
        throttling,
      };
      results.push({
        ...row,
        details: {
          up_seconds: upSeconds,
          container_ops: ops,
          enforced_cpus: enforced,
          values: v,
          gates: profile.gates,
          resources: profile.resources.map(({ rssSeries: _r, cpuSeries: _c, ...rest }) => rest),
          windows: profile.windows,
          notes: [...profile.notes, ...notes],
        },
      });
      for (const note of notes) progress(`${tag}: ${note}`);
      progress(
        `${tag}: ${row.achievedRps.toFixed(0)} req/s, p99 ${row.p99Ms.toFixed(1)} ms, success ` +
          `${(row.successRate * 100).toFixed(2)} %`,
      );
    }
  });

  const load1 = os.loadavg();
  const first = results.find((r) => r.step.cpus === 0.5 && !r.step.check);
  const check = results.find((r) => r.step.check);
  const all = steps.find((s) => s.unlimited);
  const out: string[] = [
    renderTable(results, shortNames),
    "",
    `${options.rate} decide requests/s for ${options.durationS} s per step after a ${options.warmupS} s warm-up; ` +
      `latency from the intended send time; CPU % of one core (mean of 1 s samples); throttled % = CFS periods ` +
      `in which the quota ran out; NATS keeps natsCpus.`,
  ];
  if (all)
    out.push(
      `"${all.label}": a quota equal to all ${cores} host cores never binds (a container cannot use more CPU ` +
        `than the host has), so this row is the unlimited case.`,
    );
  if (first && check)
    out.push(
      `order check: 0.5 first p99 ${first.p99Ms.toFixed(1)} ms, 0.5 last p99 ${check.p99Ms.toFixed(1)} ms ` +
        `(${(((check.p99Ms - first.p99Ms) / first.p99Ms) * 100).toFixed(0)} %): differences between limits ` +
        `smaller than this are noise of the order and the machine.`,
    );
  out.push(
    `loadavg before ${load0.map((x) => x.toFixed(2)).join(" ")}, after ${load1.map((x) => x.toFixed(2)).join(" ")} ` +
      `on ${cores} CPUs (${os.cpus()[0]?.model ?? "unknown"}); ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all`,
  );
  const file = writeJsonReport("bench-cpu", started.toISOString(), {
    timestamp: started.toISOString(),
    stack: STACK,
    host_ports: PORTS,
    options,
    machine: {
      cpus: cores,
      cpu_model: os.cpus()[0]?.model,
      node: process.version,
      loadavg_before: load0,
      loadavg_after: load1,
    },
    duration_s: (Date.now() - started.getTime()) / 1000,
    steps: results,
    summary: out,
  });
  out.push(`wrote ${path.relative(process.cwd(), file)}`);
  process.stdout.write(out.join("\n") + "\n");
}

function cli(argv: string[]): void {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`bench-cpu: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  main(options).catch((e) => {
    process.stderr.write(`bench-cpu failed: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}

if (require.main === module) cli(process.argv.slice(2));
