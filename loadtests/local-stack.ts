// A complete Beamline stack as local processes on loopback: a real nats-server (JetStream, user/password
// auth), N routers and a gateway started from the built bundles in dist/. It returns the same
// StackOutputs a deployed stack exports, with chaosTargets for the `process` driver, so validation, load
// and chaos tools run unchanged against it. Used by the loopback test suites and by `npm run dev`
// (the fallback "main job" on a machine without Docker or Pulumi).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "nats";
import { SUBJECTS } from "../services/common/contract";
import type { ChaosTarget, StackOutputs } from "../stacks/outputs";
import { NatsServer } from "../tooling/local/nats-server";
import { freePort } from "../tooling/local/ports";
import { ManagedProcess } from "../tooling/local/proc";
import { httpOk, waitFor } from "../tooling/local/wait";

export interface LocalStackOptions {
  /** Number of router instances (queue group "router"); default 1. */
  routers?: number;
  /** Extra environment for the gateway / routers (e.g. ROUTER_REQUEST_TIMEOUT_MS). */
  gatewayEnv?: Record<string, string>;
  routerEnv?: Record<string, string>;
  /** Fixed gateway port (dev); default a free one. */
  gatewayPort?: number;
  /** Directory holding gateway.js and router.js; default <repo>/dist. */
  distDir?: string;
  /** Where logs and state go; default a fresh temp dir (kept after stop so reports can bundle logs). */
  stateDir?: string;
  /** Echo service output to stderr with a role prefix. */
  verbose?: boolean;
}

export interface LocalStack {
  outputs: StackOutputs;
  /** Directory with one log file per process (`<role>-<index>.log`). */
  logDir: string;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, "..");

/** The command line a running process was started with (Linux /proc), so the process driver can re-run it. */
function commandLineOf(pid: number): { cmd: string; args: string[] } {
  const parts = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  const [cmd, ...args] = parts;
  return { cmd, args };
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** A service process whose output also goes to a log file that outlives it (for report bundles). */
function spawnService(
  name: string,
  script: string,
  env: Record<string, string>,
  logFile: string,
  verbose: boolean,
): ManagedProcess {
  const p = new ManagedProcess(name, process.execPath, [script], { env, cwd: REPO_ROOT });
  const out = fs.createWriteStream(logFile, { flags: "a" });
  const tee = (b: Buffer) => {
    out.write(b);
    if (verbose) process.stderr.write(`[${name}] ${b}`);
  };
  p.child.stdout?.on("data", tee);
  p.child.stderr?.on("data", tee);
  p.child.once("exit", () => out.end());
  return p;
}

/**
 * Ready endpoints say "connected", not "subscribed": wait until a router really answers on the decide
 * subject, so the first request of a test does not meet "no router is listening".
 */
async function routersAnswering(url: string, user: string, pass: string): Promise<void> {
  const nc = await connect({ servers: url, user, pass, name: "local-stack-probe" });
  try {
    const probe = JSON.stringify({
      version: "1",
      tenant_id: "probe",
      request_id: "local-stack-probe",
      message: {},
    });
    await waitFor(
      "a router to answer on the decide subject",
      () => nc.request(SUBJECTS.decide, new TextEncoder().encode(probe), { timeout: 1000 }).then(() => true),
      { timeoutMs: 20000, intervalMs: 100 },
    );
  } finally {
    await nc.close();
  }
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const distDir = opts.distDir ?? path.join(REPO_ROOT, "dist");
  for (const f of ["gateway.js", "router.js"]) {
    if (!fs.existsSync(path.join(distDir, f))) {
      throw new Error(`${path.join(distDir, f)} is missing: run \`npm run build\` first`);
    }
  }
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "pg-local-stack-"));
  const logDir = path.join(stateDir, "logs");
  fs.mkdirSync(logDir, { recursive: true });

  const natsUser = "beamline";
  const natsPassword = crypto.randomBytes(12).toString("hex");
  const nats = new NatsServer({
    user: natsUser,
    password: natsPassword,
    args: ["-l", path.join(logDir, "nats-0.log")],
  });
  const procs: ManagedProcess[] = [];
  let outputs: StackOutputs | undefined;

  const stop = async () => {
    // Instances restarted by the process driver replace their PIDs in outputs.chaosTargets; stop
    // those too, but only PIDs that still run one of this stack's command lines.
    const extra: number[] = [];
    for (const t of Object.values(outputs?.chaosTargets ?? {})) {
      (t?.pids ?? []).forEach((pid, i) => {
        const c = t?.commands?.[i];
        if (!c || !alive(pid) || procs.some((p) => p.pid === pid) || pid === nats.pid) return;
        try {
          const now = commandLineOf(pid);
          if (now.cmd === c.cmd && now.args.join("\0") === c.args.join("\0")) extra.push(pid);
        } catch {
          // gone meanwhile
        }
      });
    }
    await Promise.all([...procs].reverse().map((p) => p.stop("SIGTERM", 3000)));
    for (const pid of extra) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await waitFor("restarted stack processes to exit", () => extra.every((p) => !alive(p)), {
      timeoutMs: 5000,
    }).catch(() => extra.forEach((p) => alive(p) && process.kill(p, "SIGKILL")));
    await nats.stop();
  };

  try {
    await nats.start();
    const natsCmd = commandLineOf(nats.pid!);
    const common = { NATS_URL: nats.url, NATS_USER: natsUser, NATS_PASSWORD: natsPassword };

    const routerCount = opts.routers ?? 1;
    const routerPorts: number[] = [];
    const routerCommands: NonNullable<ChaosTarget["commands"]> = [];
    for (let i = 0; i < routerCount; i++) {
      const port = await freePort();
      routerPorts.push(port);
      const env = {
        ...common,
        ROUTER_METRICS_PORT: String(port),
        ROUTER_FAULTS_ENABLED: "true",
        ROUTER_INSTANCE_ID: `router-${i}`,
        ...opts.routerEnv,
      };
      routerCommands.push({
        cmd: process.execPath,
        args: [path.join(distDir, "router.js")],
        env,
        cwd: REPO_ROOT,
      });
      procs.push(
        spawnService(
          `router-${i}`,
          path.join(distDir, "router.js"),
          env,
          path.join(logDir, `router-${i}.log`),
          !!opts.verbose,
        ),
      );
    }
    const gatewayPort = opts.gatewayPort ?? (await freePort());
    const gatewayEnv = {
      ...common,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(gatewayPort),
      ...opts.gatewayEnv,
    };
    const gateway = spawnService(
      "gateway-0",
      path.join(distDir, "gateway.js"),
      gatewayEnv,
      path.join(logDir, "gateway-0.log"),
      !!opts.verbose,
    );
    procs.push(gateway);

    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const routerMetricsUrls = routerPorts.map((p) => `http://127.0.0.1:${p}`);
    const failed = () => procs.find((p) => !p.running);
    const ready = async (what: string, url: string) => {
      await waitFor(
        what,
        async () => {
          const dead = failed();
          if (dead) throw new Error(`${dead.name} exited:\n${dead.output().slice(-2000)}`);
          return httpOk(url);
        },
        { timeoutMs: 20000 },
      ).catch((e: Error) => {
        const dead = failed();
        throw new Error(
          dead ? `${dead.name} exited during start-up:\n${dead.output().slice(-3000)}` : `${e.message}`,
        );
      });
    };
    for (const u of routerMetricsUrls) await ready(`router ${u}/ready`, `${u}/ready`);
    await ready(`gateway ${gatewayUrl}/ready`, `${gatewayUrl}/ready`);
    await routersAnswering(nats.url, natsUser, natsPassword);

    outputs = {
      target: "docker",
      stack: "local",
      gatewayUrl,
      natsUrl: nats.url,
      natsHostUrls: [nats.url],
      natsUser,
      natsPassword,
      natsMonitorUrls: [nats.monitorUrl],
      routerMetricsUrls,
      chaosTargets: {
        nats: { driver: "process", pids: [nats.pid!], commands: [{ ...natsCmd, cwd: REPO_ROOT }] },
        router: {
          driver: "process",
          pids: procs.filter((p) => p.name.startsWith("router-")).map((p) => p.pid!),
          commands: routerCommands,
        },
        gateway: {
          driver: "process",
          pids: [gateway.pid!],
          commands: [
            {
              cmd: process.execPath,
              args: [path.join(distDir, "gateway.js")],
              env: gatewayEnv,
              cwd: REPO_ROOT,
            },
          ],
        },
      },
    };
    return { outputs, logDir, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
