// `npm run bench:engine`: how long the real Pulumi engine takes for the `ci` configuration, deployed as a
// separate stack `bench` so that it can run beside a test deployment of `ci`:
//   1. `up` from empty (after one warm-up up + destroy, so image builds come from the cache);
//   2. `preview` of the unchanged stack;
//   3. a one-container update (gatewayRequestTimeoutMs changes: only the gateway container is replaced;
//      the resources the engine's events touch are counted, not assumed);
//   4. `destroy`;
//   5. `up` from empty with routerReplicas 1 and with N (destroy between), and the ratio N / 1.
// Prints a table (operation, resources, seconds: wall clock of the Automation API call; engine s: the
// update's own start-to-end) to stdout and writes the same as JSON to reports/bench-engine/<timestamp>.json,
// with the 10 slowest resources of the measured `up` (start offset and duration: resourcePreEvent to
// resOutputsEvent of each URN) and its critical path (from the step that ended last, each time the
// dependency, per the stack's state, that ended last). Progress goes to stderr.
//
// The stack's config is generated from Pulumi.ci.yaml (its encryptionsalt kept) with the host ports moved
// (28080, 29090, 29093) and passed with `configFile` on every operation; the state lives in a fresh temp
// folder, removed at the end with the stack, also after an error. Containers, networks and volumes are
// named pg-bench-* and labelled proving-ground.stack=bench; any left after the run are removed and named.
// The gateway and router images are tagged proving-ground/{gateway,router}:bench and kept (the cache).
//
// Flags: --no-warmup, --replicas-max N (default 8), --json-only (stdout gets only the JSON report).
// Timings on a shared 2-core machine are noisy: compare runs made under the same load.
import os from "node:os";
import path from "node:path";
import type { EngineEvent, OpMap, Stack } from "@pulumi/pulumi/automation";
import {
  formatTable,
  HostPorts,
  progressLogger,
  SOURCE_CONFIG,
  withBenchStack,
  writeJsonReport,
} from "./bench-stack";
import { ReceivedEvent as Received, ResourceTiming, resourceTimings, urnTypeName } from "./engine";

const STACK = "bench";
/** Host ports of the bench stack: the ci stack's 18080/19090/19093 may be in use by a test run. */
const BENCH_PORTS: HostPorts = {
  gatewayHostPort: 28080,
  prometheusHostPort: 29090,
  alertmanagerHostPort: 29093,
};
const CONTAINER_TYPE = "docker:index/container:Container";

// ---------------------------------------------------------------------------------------------- flags

interface Options {
  warmup: boolean;
  replicasMax: number;
  jsonOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { warmup: true, replicasMax: 8, jsonOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-warmup") o.warmup = false;
    else if (a === "--json-only") o.jsonOnly = true;
    else if (a === "--replicas-max" || a.startsWith("--replicas-max=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      const n = Number(v);
      // stacks/config.ts accepts routerReplicas 1..16.
      if (!Number.isInteger(n) || n < 2 || n > 16)
        throw new Error(`--replicas-max: expected 2..16, got ${v}`);
      o.replicasMax = n;
    } else throw new Error(`unknown argument ${a} (flags: --no-warmup, --replicas-max N, --json-only)`);
  }
  return o;
}

// ------------------------------------------------------------------------------------------- progress

const benchStart = Date.now();
const progress = progressLogger("bench-engine", benchStart);

// ----------------------------------------------------------------------------------- engine operations

interface Measured {
  /** Wall-clock seconds of the Automation API call (CLI start, program, engine, CLI exit). */
  seconds: number;
  /** Seconds between the engine summary's start and end times (update/destroy only). */
  engineSeconds?: number;
  startedAt: number;
  events: Received[];
}

async function timed<T>(
  label: string,
  run: (onEvent: (e: EngineEvent) => void) => Promise<T>,
): Promise<Measured & { result: T }> {
  const events: Received[] = [];
  const startedAt = Date.now();
  progress(`${label} ...`);
  const onEvent = (event: EngineEvent) => {
    events.push({ event, at: Date.now() });
    const done = event.resOutputsEvent?.metadata;
    if (done && done.op !== "same" && done.type === CONTAINER_TYPE) {
      progress(
        `  ${done.op} ${urnTypeName(done.urn).split("::")[1]} done at +${((Date.now() - startedAt) / 1000).toFixed(1)}s`,
      );
    }
  };
  const result = await run(onEvent);
  const seconds = (Date.now() - startedAt) / 1000;
  progress(`${label}: ${seconds.toFixed(1)} s`);
  return { result, seconds, startedAt, events };
}

function summarySeconds(s: { startTime: Date; endTime: Date }): number {
  return (new Date(s.endTime).getTime() - new Date(s.startTime).getTime()) / 1000;
}

interface Touched {
  /** Step operations in order, e.g. delete-replaced, replace, create-replacement. */
  ops: string[];
  /** Properties whose change caused the steps (the engine's `keys`, else its `diffs`). */
  because: string[];
}

/**
 * Resources (type::name) that the engine's step events report, `same` left out, with why. The program
 * is read from the working tree at each operation, so an edit made meanwhile shows up here too.
 */
function touched(events: Received[]): Record<string, Touched> {
  const out: Record<string, Touched> = {};
  for (const { event } of events) {
    const m = event.resourcePreEvent?.metadata;
    if (!m || m.op === "same") continue;
    const t = (out[urnTypeName(m.urn)] ??= { ops: [], because: [] });
    if (!t.ops.includes(m.op)) t.ops.push(m.op);
    for (const k of m.keys ?? m.diffs ?? []) if (!t.because.includes(k)) t.because.push(k);
  }
  return out;
}

function describeTouched(t: Record<string, Touched>): string {
  return Object.entries(t)
    .map(
      ([r, x]) =>
        `${r.split("::")[1]} ${x.ops.join("+")}${x.because.length ? ` (${x.because.join(", ")})` : ""}`,
    )
    .join("; ");
}

function countOps(map: OpMap | undefined, ...ops: (keyof OpMap)[]): number {
  return ops.reduce((n, op) => n + (map?.[op] ?? 0), 0);
}

// ---------------------------------------------------------------------------------- per-resource timing

/** URN → URNs it depends on (explicitly and through its inputs), from the stack's state. */
async function dependencies(stack: Stack): Promise<Map<string, string[]>> {
  const state = await stack.exportStack();
  const resources = (state.deployment?.resources ?? []) as { urn: string; dependencies?: string[] }[];
  return new Map(resources.map((r) => [r.urn, r.dependencies ?? []]));
}

/**
 * The critical path: from the step that ended last, repeatedly the dependency (from the state) that ended
 * last, i.e. the one it actually waited for.
 */
function criticalPath(timings: ResourceTiming[], deps: Map<string, string[]>): ResourceTiming[] {
  const end = (t: ResourceTiming) => t.startReceivedS + t.durationReceivedS;
  const byUrn = new Map(timings.map((t) => [t.urn, t]));
  const latest = (list: ResourceTiming[]) => [...list].sort((a, b) => end(b) - end(a))[0];
  const chain: ResourceTiming[] = [];
  for (let cur: ResourceTiming | undefined = latest(timings); cur;) {
    chain.unshift(cur);
    const before = (deps.get(cur.urn) ?? []).map((u) => byUrn.get(u));
    cur = latest(before.filter((t): t is ResourceTiming => t !== undefined));
  }
  return chain;
}

// ----------------------------------------------------------------------------------------------- main

interface Row {
  operation: string;
  resources: number;
  /** Wall-clock seconds of the Automation API call. */
  seconds: number;
  /** The engine's own start-to-end time from the update summary (not for a preview). */
  engineSeconds?: number;
  detail: string;
}

function table(rows: Row[]): string {
  const head = ["operation", "resources", "seconds", "engine s", "detail"];
  const cells = rows.map((r) => [
    r.operation,
    String(r.resources),
    r.seconds.toFixed(1),
    r.engineSeconds === undefined ? "-" : r.engineSeconds.toFixed(0),
    r.detail,
  ]);
  return formatTable(head, cells, (i) => i >= 1 && i <= 3);
}

function timingTable(rows: ResourceTiming[]): string {
  const head = "  start s    dur s   engine: start  dur   resource";
  const lines = rows.map(
    (r) =>
      `${r.startReceivedS.toFixed(1).padStart(9)} ${r.durationReceivedS.toFixed(1).padStart(8)}  ` +
      `${r.startS.toFixed(0).padStart(14)} ${r.durationS.toFixed(0).padStart(4)}   ${r.op} ${r.resource}`,
  );
  return [head, ...lines].join("\n");
}

function pathLine(chain: ResourceTiming[]): string {
  return chain.map((t) => `${t.resource.split("::")[1]} ${t.durationReceivedS.toFixed(1)} s`).join(" -> ");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const out = (s: string) => {
    if (!options.jsonOnly) process.stdout.write(s + "\n");
  };
  const load0 = os.loadavg();
  const rows: Row[] = [];
  const report: Record<string, unknown> = {};
  await withBenchStack({ stack: STACK, ports: BENCH_PORTS, progress }, async (run) => {
    const baseConfig = run.config("base");
    const updatedConfig = run.config("updated", { gatewayRequestTimeoutMs: 4000 });
    const oneRouter = run.config("routers-1", { routerReplicas: 1 });
    const manyRouters = run.config(`routers-${options.replicasMax}`, {
      routerReplicas: options.replicasMax,
    });
    const s = run.stack;
    const up = (configFile: string, label: string) => {
      run.lastConfig = configFile;
      return timed(label, (onEvent) => s.up({ configFile, color: "never", onEvent }));
    };
    const destroy = (configFile: string, label: string) =>
      timed(label, (onEvent) => s.destroy({ configFile, color: "never", onEvent }));

    if (options.warmup) {
      await up(baseConfig, "warm-up up (builds or reuses the gateway and router images)");
      await destroy(baseConfig, "warm-up destroy");
    }

    // 1. up from empty.
    const first = await up(baseConfig, "up from empty");
    const validation = first.result.outputs.validation?.value as { exitCode?: number } | undefined;
    rows.push({
      operation: "up (from empty)",
      resources: countOps(first.result.summary.resourceChanges, "create"),
      seconds: first.seconds,
      engineSeconds: summarySeconds(first.result.summary),
      detail: `created; validation job exit code ${validation?.exitCode ?? "n/a"}`,
    });
    const timings = resourceTimings(first.events, first.startedAt);
    const firstStep = Math.min(...timings.map((t) => t.startReceivedS));
    const lastStep = Math.max(...timings.map((t) => t.startReceivedS + t.durationReceivedS));
    const chain = criticalPath(timings, await dependencies(s));

    // 2. preview, nothing changed.
    const preview = await timed("preview (unchanged)", (onEvent) =>
      s.preview({ configFile: baseConfig, color: "never", onEvent }),
    );
    const previewChanges = touched(preview.events);
    rows.push({
      operation: "preview (unchanged)",
      resources: Object.keys(previewChanges).length,
      seconds: preview.seconds,
      detail:
        `changes planned, ${preview.result.changeSummary.same ?? 0} unchanged` +
        (Object.keys(previewChanges).length ? `: ${describeTouched(previewChanges)}` : ""),
    });

    // 3. one-container update: the gateway's router timeout is in its environment, so the engine
    // replaces that container (delete before replace); the events say what else, if anything, it touched.
    const update = await up(updatedConfig, "update (gatewayRequestTimeoutMs 5000 -> 4000)");
    const updateTouched = touched(update.events);
    rows.push({
      operation: "update (gatewayRequestTimeoutMs)",
      resources: Object.keys(updateTouched).length,
      seconds: update.seconds,
      engineSeconds: summarySeconds(update.result.summary),
      detail: `touched: ${describeTouched(updateTouched)}`,
    });

    // 4. destroy.
    const destroyed = await destroy(updatedConfig, "destroy");
    rows.push({
      operation: "destroy",
      resources: countOps(destroyed.result.summary.resourceChanges, "delete"),
      seconds: destroyed.seconds,
      engineSeconds: summarySeconds(destroyed.result.summary),
      detail: "deleted",
    });

    // 5. router replicas 1 and N, each from empty.
    const scaled: (Measured & { replicas: number; timings: ResourceTiming[]; chain: ResourceTiming[] })[] =
      [];
    for (const [replicas, file] of [
      [1, oneRouter],
      [options.replicasMax, manyRouters],
    ] as const) {
      const r = await up(file, `up from empty, routerReplicas ${replicas}`);
      const timings = resourceTimings(r.events, r.startedAt);
      scaled.push({ ...r, replicas, timings, chain: criticalPath(timings, await dependencies(s)) });
      rows.push({
        operation: `up (from empty), routerReplicas ${replicas}`,
        resources: countOps(r.result.summary.resourceChanges, "create"),
        seconds: r.seconds,
        engineSeconds: summarySeconds(r.result.summary),
        detail: "created",
      });
      await destroy(file, `destroy (routerReplicas ${replicas})`);
    }
    const ratio = scaled[1].seconds / scaled[0].seconds;

    const load1 = os.loadavg();
    const slowest = [...timings].sort((a, b) => b.durationReceivedS - a.durationReceivedS).slice(0, 10);
    Object.assign(report, {
      timestamp: new Date(benchStart).toISOString(),
      stack: STACK,
      source_config: path.basename(SOURCE_CONFIG),
      host_ports: BENCH_PORTS,
      options,
      machine: {
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model,
        node: process.version,
        loadavg_before: load0,
        loadavg_after: load1,
      },
      results: rows,
      router_replicas_ratio: { replicas: options.replicasMax, seconds_n_over_1: ratio },
      preview_changes: previewChanges,
      update_touched: updateTouched,
      up_from_empty: {
        before_first_step_s: firstStep,
        steps_s: lastStep - firstStep,
        after_last_step_s: first.seconds - lastStep,
        critical_path: chain,
        slowest,
        timings,
      },
      up_router_replicas: scaled.map((r) => ({
        replicas: r.replicas,
        seconds: r.seconds,
        critical_path: r.chain,
        timings: r.timings,
      })),
    });

    out(table(rows));
    out(`\nup time, routerReplicas ${options.replicasMax} / 1: ${ratio.toFixed(2)}`);
    out(
      `\nup from empty: ${firstStep.toFixed(1)} s until the first resource step (CLI, language host, ` +
        `program), ${(lastStep - firstStep).toFixed(1)} s of resource steps, ` +
        `${(first.seconds - lastStep).toFixed(1)} s after the last one (summary, outputs)`,
    );
    out(`critical path: ${pathLine(chain)}`);
    for (const r of scaled) out(`critical path, routerReplicas ${r.replicas}: ${pathLine(r.chain)}`);
    out(
      `\n10 slowest resources of the up from empty, in start order (seconds from the call by receipt of ` +
        `the events; the engine's own timestamps are whole seconds from its first event):`,
    );
    out(timingTable([...slowest].sort((a, b) => a.startReceivedS - b.startReceivedS)));
    out(
      `\nloadavg before ${load0.map((x) => x.toFixed(2)).join(" ")}, after ` +
        `${load1.map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} CPUs ` +
        `(timings on a shared machine are noisy)`,
    );

    const file = writeJsonReport("bench-engine", report.timestamp as string, report);
    if (options.jsonOnly) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else out(`wrote ${path.relative(process.cwd(), file)}`);
  });
}

main().catch((e) => {
  process.stderr.write(`bench-engine failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
