// `npm run bench`: one run on loopback measuring the gateway against same-run baselines.
//   (a) bare node:http echo server          (b) raw nats.js request-reply to a trivial responder
//   (c) gateway → router decide path        (d) raw JetStream publish-with-ack
//   (e) gateway durable intake (POST /api/v1/messages)
// then c at half the composed rate (fixed-rate run) for its p99. Prints req/s and p50/p99 for each, the
// ratios c/composed (composed = 1/(1/a+1/b)) and e/d against their targets, and writes the result to
// reports/bench/<timestamp>.json. Flags: --duration=<s> (default 10), --connections=<n> (default 100),
// --strict (exit 1 when a target is missed), --profile (CPU profiles of gateway and router).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { connect, DiscardPolicy, nanos, RetentionPolicy, StorageType } from "nats";
import { INTAKE_DUPLICATE_WINDOW_MS } from "../services/common/contract";
import { freePort } from "../tooling/local/ports";
import { ManagedProcess } from "../tooling/local/proc";
import { NatsServer } from "../tooling/local/nats-server";
import { httpOk, waitFor } from "../tooling/local/wait";
import { perRequestCpu } from "./bench/cpu";
import { closedLoops, LoadResult } from "./bench/loops";

const TARGETS = { decideVsComposed: 0.8, p99AtHalfRateMs: 10, intakeVsJetStream: 0.7 };

function flag(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.split("=")[1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}
const durationS = flag("duration", 10);
const connections = flag("connections", 100);
const strict = process.argv.includes("--strict");
/** --profile: gateway and router write V8 CPU profiles to reports/bench/profiles/ (open in DevTools). */
const profile = process.argv.includes("--profile");

const decideBody = JSON.stringify({
  version: "1",
  tenant_id: "tenant-a",
  request_id: "bench-[<id>]",
  task: { type: "text.generate", payload: { prompt: "hi" } },
});
const intakeBody = JSON.stringify({
  version: "1",
  tenant_id: "tenant-a",
  request_id: "bench-[<id>]",
  message_id: "bench-[<id>]",
  task: { type: "text.generate", payload: { prompt: "hi" } },
});
const headers = { "content-type": "application/json", "x-tenant-id": "tenant-a" };

let seq = 0;

async function cannon(
  url: string,
  body: string,
  extra: Partial<autocannon.Options> = {},
): Promise<LoadResult> {
  const r = await autocannon({
    url,
    method: "POST",
    headers,
    // Unique ids per request (the router's idempotency cache must not turn the run into cache hits).
    // autocannon's own idReplacement stalls on keep-alive connections here, so a counter is spliced in.
    requests: [
      {
        setupRequest: (req: any) => ({ ...req, body: body.replaceAll("[<id>]", String(++seq)) }),
      },
    ],
    connections,
    duration: durationS,
    ...extra,
  });
  const total = r.requests.total;
  return {
    rps: total / durationS,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    total,
  };
}

function spawnNode(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): ManagedProcess {
  const prof =
    profile && script.startsWith("dist/") ? ["--cpu-prof", "--cpu-prof-dir=reports/bench/profiles"] : [];
  return new ManagedProcess(name, process.execPath, [...prof, script, ...args], {
    env: { LOG_LEVEL: "warn", ...env },
  });
}

function fmt(r: LoadResult): string {
  return `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors}`;
}

async function main(): Promise<void> {
  for (const f of ["dist/gateway.js", "dist/router.js"]) {
    if (!fs.existsSync(f)) throw new Error(`${f} missing: run \`npm run build\` (npm run bench does)`);
  }
  const load0 = os.loadavg();
  const procs: ManagedProcess[] = [];
  const nats = await new NatsServer().start();
  const results: Record<string, LoadResult & { cpu_us_per_req?: Record<string, number> }> = {};
  try {
    /** Runs one measurement, recording req/s, latency and the CPU-µs per request of `pids`. */
    const step = async (
      name: string,
      pids: Record<string, number | undefined>,
      run: () => Promise<LoadResult>,
    ) => {
      const { result, cpu_us_per_req } = await perRequestCpu(pids, run);
      results[name] = { ...result, cpu_us_per_req };
      const cpu = Object.entries(cpu_us_per_req)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      console.log(`${name.padEnd(34)} ${fmt(result)}   cpu µs/req: ${cpu}`);
    };
    console.log(
      `bench: ${connections} connections, ${durationS} s per run, loadavg ${load0.map((x) => x.toFixed(2)).join(" ")}`,
    );

    // (a) bare node:http
    const echo = spawnNode("echo", "scripts/bench/echo-server.mjs", []);
    procs.push(echo);
    const echoPort = await waitFor("echo server port", () => /PORT (\d+)/.exec(echo.output())?.[1]);
    await step("a  node:http echo", { echo: echo.pid }, () =>
      cannon(`http://127.0.0.1:${echoPort}/`, decideBody),
    );
    await echo.stop();

    // (b) raw nats.js request-reply
    const responder = spawnNode("responder", "scripts/bench/nats-responder.mjs", [nats.url]);
    procs.push(responder);
    await waitFor("nats responder", () => responder.output().includes("READY"));
    const nc = await connect({ servers: nats.url, noAsyncTraces: true });
    const payload = new TextEncoder().encode(decideBody);
    await step("b  nats request-reply", { responder: responder.pid, nats: nats.pid }, () =>
      closedLoops(() => nc.request("bench.echo", payload, { timeout: 5000 }), connections, durationS * 1000),
    );
    await responder.stop();

    // (d) raw JetStream publish with ack, on a stream configured like the intake stream.
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({
      name: "BENCH_RAW",
      subjects: ["bench.raw.>"],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(INTAKE_DUPLICATE_WINDOW_MS),
      max_age: nanos(24 * 60 * 60 * 1000),
      max_msgs_per_subject: 1,
    });
    const js = nc.jetstream();
    const run = Date.now().toString(36);
    await step("d  jetstream publish+ack", { nats: nats.pid }, () =>
      closedLoops(
        (i) => js.publish(`bench.raw.${run}-${i}`, payload, { msgID: `${run}-${i}`, timeout: 5000 }),
        connections,
        durationS * 1000,
      ),
    );
    await nc.close();

    // (c) and (e): gateway and router as separate processes from dist/, like production.
    const gwPort = await freePort();
    const routerPort = await freePort();
    const router = spawnNode("router", "dist/router.js", [], {
      NATS_URL: nats.url,
      ROUTER_METRICS_HOST: "127.0.0.1",
      ROUTER_METRICS_PORT: String(routerPort),
    });
    procs.push(router);
    const gateway = spawnNode("gateway", "dist/gateway.js", [], {
      NATS_URL: nats.url,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(gwPort),
      GATEWAY_MAX_INFLIGHT: "100000",
    });
    procs.push(gateway);
    const gw = `http://127.0.0.1:${gwPort}`;
    await waitFor("gateway ready", () => httpOk(`${gw}/ready`), { timeoutMs: 30000 });
    await waitFor("router ready", () => httpOk(`http://127.0.0.1:${routerPort}/ready`), { timeoutMs: 30000 });
    // Warm-up (JIT, connections) so the measured run is steady state.
    await cannon(`${gw}/api/v1/routes/decide`, decideBody, { duration: 2 });
    const sut = { gateway: gateway.pid, router: router.pid, nats: nats.pid };
    await step("c  gateway → router decide", sut, () => cannon(`${gw}/api/v1/routes/decide`, decideBody));
    const a = results["a  node:http echo"].rps;
    const b = results["b  nats request-reply"].rps;
    const composed = 1 / (1 / a + 1 / b);
    const half = Math.max(1, Math.floor(composed / 2));
    await step(`c@${half} req/s (half of composed)`, sut, () =>
      cannon(`${gw}/api/v1/routes/decide`, decideBody, { overallRate: half }),
    );
    // Durable intake twice: with the router consuming each message as it arrives (decide + KV write +
    // ack: three more JetStream operations per message on the same CPUs), and like-for-like with (d),
    // which has no consumer either: router stopped, the messages wait in the stream.
    await step("e+ intake, router consuming", sut, () => cannon(`${gw}/api/v1/messages`, intakeBody));
    await router.stop("SIGTERM", 10000);
    await step("e  gateway durable intake", { gateway: gateway.pid, nats: nats.pid }, () =>
      cannon(`${gw}/api/v1/messages`, intakeBody),
    );
    const c = results["c  gateway → router decide"];
    const e = results["e  gateway durable intake"].rps;
    const d = results["d  jetstream publish+ack"].rps;
    const paced = results[`c@${half} req/s (half of composed)`];
    const ratios = {
      composed,
      decide_vs_composed: c.rps / composed,
      p99_at_half_rate_ms: paced.p99,
      intake_vs_jetstream: e / d,
      intake_with_router_consuming_vs_jetstream: results["e+ intake, router consuming"].rps / d,
    };
    const met = {
      decide_vs_composed: ratios.decide_vs_composed >= TARGETS.decideVsComposed,
      p99_at_half_rate: ratios.p99_at_half_rate_ms <= TARGETS.p99AtHalfRateMs,
      intake_vs_jetstream: ratios.intake_vs_jetstream >= TARGETS.intakeVsJetStream,
    };
    const load1 = os.loadavg();
    console.log("");
    console.log(`composed limit 1/(1/a+1/b)           ${composed.toFixed(0)} req/s`);
    console.log(
      `c / composed                         ${ratios.decide_vs_composed.toFixed(3)}  (target ≥ ${TARGETS.decideVsComposed}) ${met.decide_vs_composed ? "MET" : "MISSED"}`,
    );
    console.log(
      `p99 of c at ${half} req/s          ${paced.p99.toFixed(2)} ms  (target ≤ ${TARGETS.p99AtHalfRateMs} ms) ${met.p99_at_half_rate ? "MET" : "MISSED"}`,
    );
    console.log(
      `e / d                                ${ratios.intake_vs_jetstream.toFixed(3)}  (target ≥ ${TARGETS.intakeVsJetStream}) ${met.intake_vs_jetstream ? "MET" : "MISSED"}`,
    );
    console.log(
      `e+ / d (router consuming meanwhile)  ${ratios.intake_with_router_consuming_vs_jetstream.toFixed(3)}  (information)`,
    );
    console.log(
      `loadavg before ${load0.map((x) => x.toFixed(2)).join(" ")}, after ${load1.map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} CPUs`,
    );

    const report = {
      timestamp: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu_model: os.cpus()[0]?.model,
        mem_gb: Math.round(os.totalmem() / 1e9),
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
        loadavg_before: load0,
        loadavg_after: load1,
      },
      settings: { connections, duration_s: durationS },
      results,
      ratios,
      targets: TARGETS,
      met,
    };
    fs.mkdirSync("reports/bench", { recursive: true });
    const file = path.join("reports/bench", `${report.timestamp.replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
    console.log(`wrote ${file}`);
    if (strict && !Object.values(met).every(Boolean)) process.exitCode = 1;
  } finally {
    for (const p of procs.reverse()) {
      const t0 = Date.now();
      const code = await p.stop("SIGTERM", 5000);
      if (process.env.BENCH_DEBUG) console.log(`${p.name} exited ${code} after ${Date.now() - t0} ms`);
    }
    await nats.stop();
  }
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
