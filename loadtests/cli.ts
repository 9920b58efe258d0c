// `npm run validate -- <e2e|load|soak|all> [flags]`: validation after `pulumi up`. Reads the stack's
// outputs (pulumi or a file, or starts a loopback stack with --stack local), runs the E2E checks and/or
// load profiles, writes reports/<timestamp>/ and exits non-zero naming every failed check and gate.
// Exit codes: 0 passed, 1 a check or gate failed, 2 bad usage / missing or unhealthy stack.
import path from "node:path";
import { parseDurationMs } from "../tooling/duration";
import { FlagSpec, parseTenantTokens, readFlags, UsageError } from "../tooling/args";
import { DEFAULT_E2E_TENANTS } from "./e2e/context";
import { assertGatewayHealthy, OutputsError, readOutputsFile, readPulumiOutputs } from "../tooling/outputs";
import { DEFAULT_SETTINGS, LOAD_PROFILES, PROFILE_NAMES, ProfileName, RunSettings } from "./profiles";
import { Mode, runValidation } from "./run";
import { LOAD_TENANTS, startValidationStack, ValidationStack } from "./validation-stack";

export const USAGE = `usage: npm run validate -- <e2e|load|soak|all> [flags]

target (one of):
  --stack <name>            read outputs with \`pulumi stack output --json --show-secrets --stack <name>\`
  --outputs <file.json>     read outputs from a file (e.g. reports/dev-stack/outputs.json from npm run dev)
  --stack local             start nats-server + router + gateway on loopback for this run (needs npm run build)

load and soak:
  --profile a,b             load profiles (${PROFILE_NAMES.join(", ")}); default ${LOAD_PROFILES.join(",")}
  --duration <d>            soak duration for soak/all, per-profile duration for load (e.g. 90s, 5m, 2h)
  --load-duration <d>       per-profile duration of the load profiles in \`all\` (default ${DEFAULT_SETTINGS.durationS}s)
  --rate <n>                open-model rate, requests/s (default ${DEFAULT_SETTINGS.rate})
  --connections <n>         closed-loop connections for sustained (default ${DEFAULT_SETTINGS.connections})
  --burst <size>x<ms>       burst profile: size every ms (default ${DEFAULT_SETTINGS.burstSize}x${DEFAULT_SETTINGS.burstIntervalMs})
  --invalid-share <0..1>    share of invalid requests in the errors profile (default ${DEFAULT_SETTINGS.invalidShare})
  --seed <n>                payload/invalid-request seed (default ${DEFAULT_SETTINGS.seed})
  --gate <profile.metric=N> override a gate threshold (repeatable), e.g. --gate sustained.p99_ms=200
  --no-baseline             skip the same-run echo baseline
  --wrk                     cross-check the sustained profile with wrk

E2E:
  --only <prefix,…>         run only checks whose id starts with a prefix (e.g. errors.,reconnect.single)
  --gateway-timeout-ms <n>  the gateway's ROUTER_REQUEST_TIMEOUT_MS (default 5000)
  --max-inflight <n>        the gateway's GATEWAY_MAX_INFLIGHT (default 1024)

tenants:
  --tenants a,b,…           tenants to use (load rotates over them)
  --tenant-tokens t:k,…     bearer tokens when the gateway requires them (or env BEAMLINE_TENANT_TOKENS;
                            default: the stack's secret tenantTokens output, when it has one)

report:
  --report-dir <dir>        where reports go (default reports)
  --logs-dir <dir>          log directory of a process stack to bundle (default: next to --outputs file)
`;

/** The flags of `npm run validate` (after the mode). */
const FLAGS: Record<string, FlagSpec> = {
  stack: { type: "string" },
  outputs: { type: "string" },
  profile: { type: "string" },
  duration: { type: "string" },
  "load-duration": { type: "string" },
  rate: { type: "string" },
  connections: { type: "string" },
  burst: { type: "string" },
  "invalid-share": { type: "string" },
  seed: { type: "string" },
  gate: { type: "string" },
  "no-baseline": { type: "boolean" },
  wrk: { type: "boolean" },
  only: { type: "string" },
  "gateway-timeout-ms": { type: "string" },
  "max-inflight": { type: "string" },
  tenants: { type: "string" },
  "tenant-tokens": { type: "string" },
  "report-dir": { type: "string" },
  "logs-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** "90s", "5m", "2h", "1500ms" or plain seconds → seconds; at least 1 s. */
export function parseDuration(s: string, flag = "--duration"): number {
  try {
    return (
      parseDurationMs(s, {
        flag,
        units: { ms: 1, s: 1000, m: 60_000, h: 3_600_000 },
        defaultUnit: "s",
        minMs: 1000,
        examples: "90s, 5m or 2h",
      }) / 1000
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface CliArgs {
  mode: Mode;
  stack?: string;
  outputsFile?: string;
  profiles: ProfileName[];
  settings: RunSettings;
  only?: string[];
  gatewayTimeoutMs?: number;
  maxInflight?: number;
  tenants?: string[];
  tenantTokens?: Record<string, string>;
  reportDir: string;
  logsDir?: string;
}

function num(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const [mode, ...rest] = argv;
  if (!mode || !["e2e", "load", "soak", "all"].includes(mode)) {
    throw new UsageError(
      `first argument must be e2e, load, soak or all${mode ? `, got ${JSON.stringify(mode)}` : ""}`,
    );
  }
  const a: CliArgs = {
    mode: mode as Mode,
    profiles: [...LOAD_PROFILES],
    settings: { ...DEFAULT_SETTINGS, gateOverrides: {} },
    reportDir: "reports",
  };
  let duration: number | undefined;
  let loadDuration: number | undefined;
  for (const { name, flag, value: v } of readFlags(rest, FLAGS)) {
    switch (name) {
      case "stack":
        a.stack = v;
        break;
      case "outputs":
        a.outputsFile = v;
        break;
      case "profile": {
        const ps = v
          .split(",")
          .map((p) => p.trim())
          .filter(Boolean);
        for (const p of ps)
          if (!PROFILE_NAMES.includes(p as ProfileName))
            throw new UsageError(`unknown profile ${JSON.stringify(p)} (known: ${PROFILE_NAMES.join(", ")})`);
        a.profiles = ps as ProfileName[];
        break;
      }
      case "duration":
        duration = parseDuration(v);
        break;
      case "load-duration":
        loadDuration = parseDuration(v, "--load-duration");
        break;
      case "rate":
        a.settings.rate = num(flag, v, 1, 1e6);
        break;
      case "connections":
        a.settings.connections = Math.round(num(flag, v, 1, 10000));
        break;
      case "burst": {
        const m = /^(\d+)x(\d+)$/.exec(v);
        if (!m)
          throw new UsageError(`--burst must be <size>x<intervalMs>, e.g. 50x250, got ${JSON.stringify(v)}`);
        a.settings.burstSize = Number(m[1]);
        a.settings.burstIntervalMs = Number(m[2]);
        if (!(a.settings.burstSize > 0 && a.settings.burstIntervalMs > 0))
          throw new UsageError("--burst size and interval must be > 0");
        break;
      }
      case "invalid-share":
        a.settings.invalidShare = num(flag, v, 0, 1);
        break;
      case "seed":
        a.settings.seed = Math.round(num(flag, v, 0, 2 ** 31));
        break;
      case "gate": {
        const m = /^(\w+)\.(\w+)=(-?[\d.]+)$/.exec(v);
        if (!m || !PROFILE_NAMES.includes(m[1] as ProfileName))
          throw new UsageError(`--gate must be <profile>.<metric>=<number>, got ${JSON.stringify(v)}`);
        a.settings.gateOverrides![`${m[1]}.${m[2]}`] = Number(m[3]);
        break;
      }
      case "no-baseline":
        a.settings.baseline = false;
        break;
      case "wrk":
        a.settings.wrk = true;
        break;
      case "only":
        a.only = v.split(",").filter(Boolean);
        break;
      case "gateway-timeout-ms":
        a.gatewayTimeoutMs = num(flag, v, 1, 600000);
        break;
      case "max-inflight":
        a.maxInflight = num(flag, v, 1, 1e6);
        break;
      case "tenants":
        a.tenants = v.split(",").filter(Boolean);
        break;
      case "tenant-tokens":
        a.tenantTokens = parseTenantTokens(v);
        break;
      case "report-dir":
        a.reportDir = v;
        break;
      case "logs-dir":
        a.logsDir = v;
        break;
      case "help":
        throw new UsageError("help");
    }
  }
  if (!a.stack && !a.outputsFile)
    throw new UsageError(
      "say which stack to validate: --stack <name>, --outputs <file.json> or --stack local",
    );
  if (a.stack && a.outputsFile) throw new UsageError("use either --stack or --outputs, not both");
  if (!a.tenantTokens && env.BEAMLINE_TENANT_TOKENS)
    a.tenantTokens = parseTenantTokens(env.BEAMLINE_TENANT_TOKENS);
  if (a.mode === "load") a.settings.durationS = duration ?? loadDuration ?? a.settings.durationS;
  else {
    if (duration !== undefined) a.settings.soakDurationS = duration;
    if (loadDuration !== undefined) a.settings.durationS = loadDuration;
  }
  return a;
}

/** A live progress line: rewritten in place on a TTY, one line every 10 s otherwise (CI logs). */
function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (line: string) => void {
  let last = 0;
  return (line) => {
    if (stream.isTTY) stream.write(`\r\x1b[K${line}`);
    else if (Date.now() - last >= 10000) {
      last = Date.now();
      stream.write(`${line}\n`);
    }
  };
}

export async function main(argv: string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(e.message === "help" ? USAGE : `validate: ${e.message}\n\n${USAGE}`);
      return e.message === "help" ? 0 : 2;
    }
    throw e;
  }
  let local: ValidationStack | undefined;
  try {
    let outputs;
    let logsDir = args.logsDir;
    if (args.stack === "local") {
      process.stderr.write("starting a loopback stack (nats-server, router, gateway from dist/) …\n");
      local = await startValidationStack();
      outputs = local.outputs;
      logsDir ??= local.logDir;
      args.tenantTokens ??= local.e2e.tenantTokens;
      args.gatewayTimeoutMs ??= local.e2e.gatewayTimeoutMs;
      args.maxInflight ??= local.e2e.gatewayMaxInflight;
    } else if (args.outputsFile) {
      outputs = readOutputsFile(args.outputsFile);
      logsDir ??= path.join(path.dirname(args.outputsFile), "logs");
    } else {
      outputs = readPulumiOutputs(args.stack!);
    }
    await assertGatewayHealthy(outputs);
    const tty = progressPrinter();
    const { report, dir } = await runValidation({
      mode: args.mode,
      outputs,
      e2e: {
        only: args.only,
        gatewayTimeoutMs: args.gatewayTimeoutMs,
        gatewayMaxInflight: args.maxInflight,
        tenantTokens: args.tenantTokens,
        tenants: args.tenants ?? DEFAULT_E2E_TENANTS,
      },
      load: { tenants: args.tenants ?? LOAD_TENANTS, tenantTokens: args.tenantTokens },
      profiles: args.profiles,
      settings: { ...args.settings, onProgress: tty },
      reportsDir: args.reportDir,
      processLogDir: logsDir,
      command: `validate ${argv.join(" ")}`,
      log: (l) => {
        if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
        process.stdout.write(`${l}\n`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    const e2e = report.e2e
      ? `E2E ${report.e2e.filter((c) => c.passed).length}/${report.e2e.length} passed; `
      : "";
    process.stdout.write(
      `\n${report.passed ? "PASSED" : "FAILED"}: ${e2e}${report.profiles.length} profile(s); report ${path.join(dir, "index.html")}\n`,
    );
    for (const f of report.failures) process.stdout.write(`  - ${f}\n`);
    return report.passed ? 0 : 1;
  } catch (e) {
    if (e instanceof OutputsError) {
      process.stderr.write(`validate: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`validate: ${(e as Error).stack ?? e}\n`);
    return 2;
  } finally {
    await local?.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
