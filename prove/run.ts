// One `npm run prove` run: `up` of a stack through the Automation API (scripts/engine.ts, the backend and
// passphrase of `npm run up`), then the E2E checks, the load profiles, the chaos suite and an optional
// soak against the outputs the engine returned, then `destroy` and a check through the Docker API that
// nothing labelled with the stack remains, and one report (prove/report.ts) linking every phase's own.
//
// The destroy runs after success, after a failed gate, after an exception and after SIGINT/SIGTERM; a
// second Ctrl-C (not tsx's relayed copy of the first: scripts/interrupt.ts) skips it with a warning that
// names the stack and the command that destroys it. With --keep nothing is destroyed (--ttl records when
// the stack expires: scripts/stack-expiry.ts).
import path from "node:path";
import Docker from "dockerode";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { DEFAULT_E2E_TENANTS } from "../loadtests/e2e/context";
import { assertGatewayHealthy, validateOutputs } from "../tooling/outputs";
import { DEFAULT_SETTINGS, ProfileName, ProfileResult } from "../loadtests/profiles";
import { collectLogs } from "../loadtests/report/logs";
import { runId, type LogFile } from "../loadtests/report/write";
import { runValidation, ValidationRequest } from "../loadtests/run";
import { LOAD_TENANTS } from "../loadtests/validation-stack";
import { openDriver } from "../tooling/drivers";
import type { ChaosDriver } from "../tooling/drivers/types";
import { runSuite } from "../chaos/suite";
import { INTAKE_STREAM } from "../services/common/contract";
import { KubeClient, waitNamespaceGone } from "../tooling/kube-api";
import { evaluateCluster, readCluster } from "../tooling/nats-cluster";
import {
  openStack,
  ReceivedEvent,
  removeStack,
  resourceTimings,
  toolchainEnv,
  urnTypeName,
} from "../scripts/engine";
import { signalExitCode, watchInterrupts } from "../scripts/interrupt";
import { setExpiry } from "../scripts/stack-expiry";
import { describeUnhealthy, listStackObjects, StackObjects } from "../scripts/stack-objects";
import type { StackOutputs } from "../stacks/outputs";
import {
  collectProveFailures,
  GateOutcome,
  PhaseKind,
  PhaseResult,
  proveExitCode,
  ProveResult,
  writeProveReport,
} from "./report";

/** Where the stack's state lives and how its secrets are encrypted (as scripts/pulumi.sh decides). */
export interface BackendSettings {
  url: string;
  /** True when PULUMI_BACKEND_URL was not set (the repository's .pulumi-state). */
  isDefault: boolean;
  passphrase?: string;
  passphraseFile?: string;
  /** What the user should know, e.g. that the built-in passphrase is used. */
  warnings: string[];
}

export interface ProveOptions {
  stack: string;
  profiles: ProfileName[];
  /** E2E check id prefixes (loadtests/e2e); undefined: every check; empty: no E2E phase. */
  e2e?: string[];
  /** Chaos suite or experiment names for chaos/suite.ts; empty: no chaos phase. */
  chaos: string[];
  /** Seconds of soak after chaos; undefined: no soak phase. */
  soakS?: number;
  /** Seconds of each load profile. */
  loadDurationS: number;
  keep: boolean;
  /** With keep: milliseconds until the stack expires. */
  ttlMs?: number;
  /** Root of the reports (reports/): the run goes to <reportDir>/<run id>/. */
  reportDir: string;
  command: string;
  backend: BackendSettings;
}

/** The engine (Pulumi CLI) or the Docker Engine cannot be reached, or the stack cannot be opened: exit 2. */
export class EngineUnreachable extends Error {
  name = "EngineUnreachable";
}

/** What the console shows: phase lines on stdout, a live progress line on stderr. */
export interface ProveConsole {
  line(msg: string): void;
  progress(msg: string): void;
}

/** Phase lines `[prove +  12.3s] …` on stdout; progress rewritten in place on a TTY, else a line when it changes. */
export function terminalConsole(start = Date.now(), intervalMs = 5000): ProveConsole {
  const err = process.stderr;
  let shown = false;
  let lastPlain = 0;
  let lastKey = "";
  return {
    line(msg) {
      if (shown) err.write("\r\x1b[K");
      shown = false;
      process.stdout.write(`[prove +${((Date.now() - start) / 1000).toFixed(1).padStart(7)}s] ${msg}\n`);
    },
    progress(msg) {
      if (err.isTTY) {
        err.write(`\r\x1b[K${msg}`);
        shown = true;
      } else {
        // A log keeps a line when something changed (at most every intervalMs) or every 30 s otherwise.
        const key = msg.replace(/\d+(\.\d+)? s\b/g, "");
        const since = Date.now() - lastPlain;
        if ((key !== lastKey && since >= intervalMs) || since >= 30_000) {
          lastPlain = Date.now();
          lastKey = key;
          err.write(`${msg}\n`);
        }
      }
    },
  };
}

/**
 * Resource steps started (resourcePreEvent) and finished (resOutputsEvent), custom resources only. A step
 * is a resource and its operation: a replacement is several steps of one resource, and a step still in
 * progress after its resource's other steps finished is shown by name.
 */
export class StepCounter {
  private started = new Map<string, { urn: string; op: string; at: number }>();
  private finished = new Set<string>();

  add(e: EngineEvent, at = Date.now()): void {
    const pre = e.resourcePreEvent?.metadata;
    const key = (m: { urn: string; op: string }) => `${m.urn}\u0000${m.op}`;
    if (pre && (pre.new ?? pre.old)?.custom && !this.started.has(key(pre)))
      this.started.set(key(pre), { urn: pre.urn, op: pre.op, at });
    const done = e.resOutputsEvent?.metadata;
    if (done && (done.new ?? done.old)?.custom) this.finished.add(key(done));
  }

  /**
   * "up: 12/22 resource steps done", plus the longest-running step when one has run for `slowMs`
   * ("; waiting on nats-0 (create-replacement, 62 s)"): a health-gated create that never turns healthy
   * shows by name instead of a count that stands still.
   */
  line(verb: string, now = Date.now(), slowMs = 10_000): string {
    const base = `${verb}: ${this.finished.size}/${this.started.size} resource steps done`;
    const waiting = [...this.started]
      .filter(([k]) => !this.finished.has(k))
      .map(([, s]) => s)
      .sort((a, b) => a.at - b.at)[0];
    if (!waiting || now - waiting.at < slowMs) return base;
    const name = urnTypeName(waiting.urn).split("::").pop();
    return `${base}; waiting on ${name} (${waiting.op}, ${Math.round((now - waiting.at) / 1000)} s)`;
  }

  /** Started but never finished (a failed or cancelled step), as type::name. */
  unfinished(): string[] {
    const urns = [...this.started].filter(([k]) => !this.finished.has(k)).map(([, s]) => s.urn);
    return [...new Set(urns)].map(urnTypeName);
  }
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The events of one engine operation and its progress line ("up: 12/22 resource steps done (6.0 s)"). */
function engineProgress(verb: string, con: ProveConsole) {
  const events: ReceivedEvent[] = [];
  const counter = new StepCounter();
  const t0 = Date.now();
  const show = () => con.progress(`${counter.line(verb)} (${secs(Date.now() - t0)})`);
  const onEvent = (event: EngineEvent) => {
    events.push({ event, at: Date.now() });
    counter.add(event);
    show();
  };
  return { events, counter, t0, onEvent, show };
}

/** The lines of an engine error that say what went wrong (the CLI's own output is long). */
export function engineError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /error|failed|cancel/i.test(l) && !/^stderr:$/.test(l));
  const picked = [...new Set(lines)].slice(0, 6);
  return (picked.length ? picked.join(" / ") : msg.split("\n")[0]).slice(0, 2000);
}

/** `npm run destroy` of the stack, with the backend when it is not the default. */
export function destroyCommand(stack: string, backend: BackendSettings): string {
  return `${backend.isDefault ? "" : `PULUMI_BACKEND_URL=${backend.url} `}npm run destroy -- --stack ${stack} --yes`;
}

function gatesOfProfile(p: ProfileResult): GateOutcome[] {
  return p.gates.map((g) => ({
    name: `${g.metric} ${g.op} ${g.threshold}${g.unit ? ` ${g.unit}` : ""}`,
    passed: g.passed,
    detail: g.detail,
  }));
}

/** What a chaos driver does to the stack's instances (the rest only reads). */
const DRIVER_ACTIONS = new Set([
  "kill",
  "start",
  "restart",
  "pause",
  "unpause",
  "disconnect",
  "reconnect",
  "squeeze",
  "impairLink",
  "proxyLatency",
  "recreate",
]);

/**
 * The driver, except that once `signal` is aborted every action on an instance rejects: an interrupted
 * chaos phase keeps running in the background until the process exits, and must not start or re-create
 * containers while the stack is being destroyed.
 */
export function stopOnAbort(d: ChaosDriver, signal: AbortSignal): ChaosDriver {
  return new Proxy(d, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      const fn = v as (...a: unknown[]) => unknown;
      if (!DRIVER_ACTIONS.has(String(prop))) return fn.bind(target);
      return async (...args: unknown[]) => {
        if (signal.aborted) throw signal.reason;
        return fn.apply(target, args);
      };
    },
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runProve(o: ProveOptions, con: ProveConsole = terminalConsole()): Promise<ProveResult> {
  const started = new Date();
  const id = `${runId(started)}-prove-${o.stack}`;
  const dir = path.join(o.reportDir, id);
  const rel = (file: string) => path.relative(dir, file);
  const phases: PhaseResult[] = [];
  const notes: string[] = [...o.backend.warnings];
  const resources: ProveResult["resources"] = { up: [], destroy: [], unfinished: [] };
  let logs: LogFile[] = [];
  let leftovers: StackObjects | undefined;
  let kept: ProveResult["kept"];
  const destroyCmd = destroyCommand(o.stack, o.backend);

  // --- the engine and Docker: unreachable is exit 2, before anything is deployed
  try {
    toolchainEnv();
  } catch (e) {
    throw new EngineUnreachable((e as Error).message);
  }
  try {
    await new Docker().ping();
  } catch (e) {
    throw new EngineUnreachable(
      `the Docker Engine is not reachable (is dockerd running, and may this user use /var/run/docker.sock?): ${(e as Error).message}`,
    );
  }
  let stack: Stack;
  try {
    stack = await openStack({
      stack: o.stack,
      backendUrl: o.backend.url,
      ...(o.backend.passphraseFile
        ? { passphraseFile: o.backend.passphraseFile }
        : { passphrase: o.backend.passphrase }),
    });
  } catch (e) {
    throw new EngineUnreachable(`cannot open stack ${o.stack} in ${o.backend.url}: ${engineError(e)}`);
  }

  const planned: [string, PhaseKind][] = [
    ["up", "up"],
    ...(o.e2e?.length === 0 ? [] : [["e2e", "e2e"] as [string, PhaseKind]]),
    ...o.profiles.map((p) => [`load ${p}`, "load"] as [string, PhaseKind]),
    ...(o.chaos.length ? [[`chaos ${o.chaos.join(",")}`, "chaos"] as [string, PhaseKind]] : []),
    ...(o.soakS !== undefined ? [["soak", "soak"] as [string, PhaseKind]] : []),
    ["destroy", "destroy"],
  ];
  const result = (): ProveResult => {
    const r: ProveResult = {
      kind: "prove",
      id,
      command: o.command,
      stack: o.stack,
      backend: o.backend.url,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      passed: false,
      exitCode: 0,
      interrupted: interrupts.received(),
      // In the planned order; phases that never started are listed as skipped, so that the verdict table
      // always has every row.
      phases: [
        ...phases.filter((p) => !planned.some(([name]) => name === p.name)),
        ...planned.map(
          ([name, kind]): PhaseResult =>
            phases.find((p) => p.name === name) ?? {
              name,
              kind,
              status: "skipped",
              gates: [],
              error: skipReason(kind),
              notes: [],
            },
        ),
      ],
      failures: [],
      resources,
      logs,
      leftovers,
      kept,
      notes,
    };
    r.failures = collectProveFailures(r.phases);
    r.exitCode = proveExitCode(r);
    r.passed = r.exitCode === 0;
    return r;
  };
  const skipReason = (kind: PhaseKind): string => {
    if (kind === "destroy") return o.keep ? "--keep: the stack stays" : "not run";
    const sig = interrupts.received();
    if (sig) return `the run was interrupted (${sig})`;
    if (phases.some((p) => p.kind === "up" && p.status !== "passed")) return "up failed";
    return "not run";
  };

  // --- interrupts
  let destroyDone = false;
  const destroyAbort = new AbortController();
  // SIGTERM is usually sent to this process alone, so the running pulumi child is told too (the Automation
  // API sends it SIGINT: the CLI cancels cleanly). A terminal's Ctrl-C already reached the child through
  // the process group, and a second SIGINT would make the CLI stop at once without saving its state.
  const upAbort = new AbortController();
  const interrupts = watchInterrupts({
    signals: ["SIGINT", "SIGTERM"],
    onFirst: (sig) => {
      if (sig === "SIGTERM") upAbort.abort();
      con.line(
        `${sig}: stopping the current phase; ${o.keep ? `stack ${o.stack} is kept (--keep)` : `then destroying stack ${o.stack} (Ctrl-C again to skip the destroy)`}`,
      );
    },
    onSecond: (sig) => {
      let code = signalExitCode(interrupts.received() ?? sig);
      if (!destroyDone && !o.keep) {
        process.stderr.write(
          `\nprove: WARNING: second ${sig}: the destroy of stack ${o.stack} is skipped; whatever it has not deleted yet stays.\n` +
            `prove:          destroy it with: ${destroyCmd}\n`,
        );
        destroyAbort.abort();
        const d = phases.find((p) => p.kind === "destroy");
        const note = `skipped by a second ${sig}; destroy with: ${destroyCmd}`;
        if (d) Object.assign(d, { status: "failed", error: note });
        else
          phases.push({
            name: "destroy",
            kind: "destroy",
            status: "failed",
            gates: [],
            error: note,
            notes: [],
          });
        // The teardown did not happen: exit 1, as the report says.
        const r = result();
        code = r.exitCode;
        try {
          writeProveReport(dir, o.reportDir, r);
        } catch {
          // exiting anyway
        }
      }
      process.exit(code);
    },
  });

  /**
   * Runs one phase. Test phases race the first interrupt (their load keeps running until the process
   * exits); `up` and `destroy` are engine calls that end by themselves when cancelled.
   */
  const phase = async (
    name: string,
    kind: PhaseKind,
    fn: (p: PhaseResult) => Promise<void>,
    { race = true, always = false } = {},
  ): Promise<PhaseResult> => {
    const p: PhaseResult = {
      name,
      kind,
      status: "passed",
      gates: [],
      notes: [],
      startedAt: new Date().toISOString(),
    };
    if (interrupts.signal.aborted && !always) return p; // listed as skipped by result()
    phases.push(p);
    const n = planned.findIndex(([x]) => x === name) + 1;
    con.line(`phase ${n}/${planned.length} ${name}: started`);
    const t = Date.now();
    try {
      await (race && !always ? interrupts.untilInterrupted(fn(p)) : fn(p));
      if (p.gates.some((g) => !g.passed) && p.status === "passed") p.status = "failed";
    } catch (e) {
      if (interrupts.signal.aborted && !always) {
        p.status = "interrupted";
        p.error = `interrupted (${interrupts.received()})`;
      } else {
        p.status = "failed";
        p.error = engineError(e);
      }
    }
    p.durationS = (Date.now() - t) / 1000;
    con.line(`phase ${n}/${planned.length} ${name}: ${p.status} (${secs(Date.now() - t)})`);
    for (const g of p.gates) if (!g.passed) con.line(`  gate failed: ${g.name}: ${g.detail}`);
    if (p.error && p.status !== "passed") con.line(`  ${p.error}`);
    return p;
  };

  let outputs: StackOutputs | undefined;
  const upStart = Date.now();
  try {
    const existing = (await stack.exportStack()).deployment?.resources?.length ?? 0;
    if (existing > 0)
      notes.push(
        `stack ${o.stack} already had ${existing} resources (an earlier up): this run updated them and ${o.keep ? "kept" : "destroyed"} the stack`,
      );

    // --- up
    const up = await phase(
      "up",
      "up",
      async (p) => {
        const { events, counter, t0, onEvent, show } = engineProgress("up", con);
        const ticker = setInterval(show, 1000);
        try {
          const res = await stack
            .up({ color: "never", signal: upAbort.signal, onEvent })
            .catch(async (e: Error) => {
              // The engine says only "container failed to be in healthy state": add what Docker knows.
              const why = await describeUnhealthy(o.stack).catch(() => []);
              for (const l of why) con.line(`  ${l}`);
              if (why.length) notes.push(`containers not healthy when up failed:\n${why.join("\n")}`);
              throw e;
            });
          const c = res.summary.resourceChanges ?? {};
          p.gates.push({
            name: "engine up succeeds",
            passed: res.summary.result === "succeeded",
            detail: `${res.summary.result}: ${Object.entries(c)
              .map(([op, k]) => `${k} ${op}`)
              .join(", ")} in ${secs(Date.now() - t0)}`,
          });
        } finally {
          clearInterval(ticker);
          resources.up = resourceTimings(events, t0);
          resources.unfinished = counter.unfinished();
        }
        const raw = Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
        outputs = validateOutputs(raw, `outputs of stack ${o.stack}`);
        p.gates.push({
          name: "outputs have the StackOutputs shape (tooling/outputs.ts)",
          passed: true,
          detail: `gateway ${outputs.gatewayUrl}, ${outputs.routerMetricsUrls.length} router(s)`,
        });
        const v = outputs.validation;
        if (v)
          p.gates.push({
            name: "validation job exits 0",
            passed: v.exitCode === 0,
            detail: `exit code ${v.exitCode}${v.exitCode === 0 ? "" : `: ${v.logTail.split("\n").slice(-3).join(" / ")}`}`,
          });
        try {
          await assertGatewayHealthy(outputs);
          p.gates.push({ name: "gateway /health and /ready answer 200", passed: true, detail: "200, 200" });
        } catch (e) {
          p.gates.push({
            name: "gateway /health and /ready answer 200",
            passed: false,
            detail: (e as Error).message,
          });
        }
      },
      { race: false },
    );

    if (up.status === "passed" && outputs) {
      const out = outputs;
      const config = await stack.getAllConfig();
      const timeout = Number(config["proving-ground:gatewayRequestTimeoutMs"]?.value);
      // An interrupted phase's work goes on in the background until the process exits: keep it quiet.
      const quiet = () => interrupts.signal.aborted;
      const sub = (l: string) => quiet() || con.line(`  ${l}`);
      const progress = (l: string) => quiet() || con.progress(l);
      const validation = (kind: string, r: Partial<ValidationRequest>) =>
        runValidation({
          mode: "e2e",
          outputs: out,
          e2e: {
            tenants: DEFAULT_E2E_TENANTS,
            gatewayTimeoutMs: Number.isFinite(timeout) ? timeout : undefined,
          },
          load: { tenants: LOAD_TENANTS },
          profiles: [],
          settings: {
            ...DEFAULT_SETTINGS,
            durationS: o.loadDurationS,
            soakDurationS: o.soakS ?? DEFAULT_SETTINGS.soakDurationS,
            onProgress: progress,
          },
          reportsDir: path.join(dir, kind),
          command: `${o.command} (phase ${kind})`,
          log: sub,
          ...r,
        });

      // A NATS cluster is checked as its own monitoring endpoints see it before anything else runs on it.
      if (out.natsMonitorUrls.length > 1) {
        planned.splice(1, 0, ["cluster", "cluster"]);
        await phase("cluster", "cluster", async (p) => {
          const checks = evaluateCluster(await readCluster(out.natsMonitorUrls), [INTAKE_STREAM]);
          p.gates.push(...checks);
        });
      }

      if (o.e2e?.length !== 0)
        await phase("e2e", "e2e", async (p) => {
          const v = await validation("e2e", {
            mode: "e2e",
            e2e: {
              ...(o.e2e ? { only: o.e2e } : {}),
              tenants: DEFAULT_E2E_TENANTS,
              gatewayTimeoutMs: Number.isFinite(timeout) ? timeout : undefined,
            },
          });
          p.report = rel(path.join(v.dir, "index.html"));
          const checks = v.report.e2e ?? [];
          const failed = checks.filter((c) => !c.passed);
          p.gates.push({
            name: "every E2E check passes",
            passed: checks.length > 0 && failed.length === 0,
            detail: `${checks.length - failed.length}/${checks.length} passed${failed.length ? `; failed: ${failed.map((c) => c.id).join(", ")}` : ""}`,
          });
          p.notes.push(...v.report.notes);
        });

      for (const name of o.profiles) {
        await phase(`load ${name}`, "load", async (p) => {
          const v = await validation(`load-${name}`, { mode: "load", profiles: [name] });
          p.report = rel(path.join(v.dir, "index.html"));
          const r = v.report.profiles[0];
          if (!r) throw new Error(`profile ${name} produced no result`);
          p.gates.push(...gatesOfProfile(r));
          if (r.tail.verdict) p.notes.push(`tail: ${r.tail.verdict}`);
        });
      }

      if (o.chaos.length) {
        await phase(`chaos ${o.chaos.join(",")}`, "chaos", async (p) => {
          const { journal, dir: cdir } = await runSuite(o.chaos, {
            outputs: out,
            driver: stopOnAbort(await openDriver(out), interrupts.signal),
            reportRoot: path.join(dir, "chaos"),
            progress,
          });
          p.report = rel(path.join(cdir, "index.html"));
          for (const e of journal.experiments) {
            const bad = e.gates.filter((g) => !g.pass);
            p.gates.push({
              name: `${e.name}: every gate passes`,
              passed: e.status === "passed",
              detail:
                e.status === "passed"
                  ? `${e.gates.length}/${e.gates.length} gates (${e.gates.map((g) => g.gate.kind).join(", ")})`
                  : [...e.reasons, ...bad.map((g) => `${g.gate.kind}: ${g.detail}`)].join("; "),
            });
          }
          if (journal.experiments.length === 0)
            p.gates.push({ name: "at least one experiment runs", passed: false, detail: "none could run" });
          for (const na of journal.notApplicable)
            p.notes.push(`not applicable to this stack: ${na.name} (${na.problems.join("; ")})`);
        });
      }

      if (o.soakS !== undefined) {
        await phase("soak", "soak", async (p) => {
          const v = await validation("soak", { mode: "soak" });
          p.report = rel(path.join(v.dir, "index.html"));
          const r = v.report.profiles[0];
          if (!r) throw new Error("the soak produced no result");
          p.gates.push(...gatesOfProfile(r));
          if (r.tail.verdict) p.notes.push(`tail: ${r.tail.verdict}`);
        });
      }
    }
  } catch (e) {
    // Outside a phase (reading the stack's state or config): recorded, and the teardown still runs.
    notes.push(`error outside a phase: ${engineError(e)}`);
    phases.push({
      name: "setup",
      kind: "up",
      status: "failed",
      gates: [],
      error: engineError(e),
      notes: [],
    });
  }

  // --- the logs bundle of the run window, while the containers still exist
  try {
    let target = outputs;
    if (!target) {
      // No outputs (a failed up): the containers the engine did create, found by their label.
      const containers = (await listStackObjects(o.stack)).containers;
      target = { chaosTargets: { gateway: { driver: "docker", containers } } } as unknown as StackOutputs;
    }
    const l = await withTimeout(
      collectLogs(target, dir, { sinceMs: upStart, untilMs: Date.now() }),
      60_000,
      "collecting the logs",
    );
    logs = l.files;
    notes.push(...l.notes);
  } catch (e) {
    notes.push(`logs not bundled: ${(e as Error).message}`);
  }

  // --- teardown: always (unless --keep)
  if (o.keep) {
    if (o.ttlMs !== undefined) {
      const expiresAt = new Date(Date.now() + o.ttlMs);
      try {
        await setExpiry(stack, expiresAt);
        kept = { expiresAt: expiresAt.toISOString(), destroyCommand: destroyCmd };
      } catch (e) {
        kept = { destroyCommand: destroyCmd };
        notes.push(`could not record the expiry: ${engineError(e)}`);
      }
    } else kept = { destroyCommand: destroyCmd };
    con.line(
      `stack ${o.stack} kept (--keep)${kept.expiresAt ? `, expires at ${kept.expiresAt}` : ""}; destroy it with: ${destroyCmd}`,
    );
  } else {
    await phase(
      "destroy",
      "destroy",
      async (p) => {
        try {
          await destroyAndCheck(p);
        } finally {
          destroyDone = true;
        }
      },
      { race: false, always: true },
    );
  }

  async function destroyAndCheck(p: PhaseResult): Promise<void> {
    const { events, t0, onEvent } = engineProgress("destroy", con);
    let error: unknown;
    // Twice at most: a Ctrl-C that arrives while destroy runs reaches the pulumi child too and
    // cancels it; the destroy is then started again.
    for (let attempt = 1; attempt <= 2 && !destroyAbort.signal.aborted; attempt++) {
      try {
        await stack.destroy({ color: "never", signal: destroyAbort.signal, onEvent });
        error = undefined;
        break;
      } catch (e) {
        error = e;
        if (attempt === 1) con.line(`destroy failed (${engineError(e)}); trying once more`);
      }
    }
    resources.destroy = resourceTimings(events, t0);
    p.gates.push({
      name: "engine destroy succeeds",
      passed: error === undefined,
      detail:
        error === undefined
          ? `${resources.destroy.length} resources deleted in ${secs(Date.now() - t0)}`
          : engineError(error),
    });
    let left: string[];
    const kube = outputs && kubernetesNamespace(outputs);
    if (kube) {
      // The kubernetes target: the namespace (and with it every object of the stack) must be gone.
      const client = KubeClient.fromKubeconfig(kube.kubeconfig);
      const ns = await waitNamespaceGone(client, kube.namespace);
      leftovers = { containers: [], networks: [], volumes: [], namespace: { name: kube.namespace, ...ns } };
      left = ns.exists ? [`namespace/${kube.namespace}`, ...ns.objects] : [];
      p.gates.push({
        name: `namespace ${kube.namespace} is gone (Kubernetes API)`,
        passed: !ns.exists,
        detail: ns.exists ? `still there: ${left.join(", ")}` : "no namespace, so no object of the stack",
      });
    } else {
      leftovers = await listStackObjects(o.stack);
      left = [...leftovers.containers, ...leftovers.networks, ...leftovers.volumes];
      p.gates.push({
        name: `nothing labelled proving-ground.stack=${o.stack} remains (Docker API)`,
        passed: left.length === 0,
        detail: left.length ? `left: ${left.join(", ")}` : "no container, network or volume",
      });
    }
    if (error === undefined && left.length === 0) {
      await removeStack(stack);
      p.gates.push({
        name: "stack removed from the backend",
        passed: true,
        detail: `${o.stack} removed from ${o.backend.url}`,
      });
    } else p.notes.push(`the stack stays in the backend so that the destroy can be run again: ${destroyCmd}`);
  }

  const r = result();
  writeProveReport(dir, o.reportDir, r);
  interrupts.dispose();
  return r;
}

/** The namespace and kubeconfig of a kubernetes-target stack (from its chaos targets), else undefined. */
function kubernetesNamespace(outputs: StackOutputs): { namespace: string; kubeconfig?: string } | undefined {
  if (outputs.target !== "kubernetes") return undefined;
  const t = Object.values(outputs.chaosTargets).find((x) => x?.driver === "kubernetes" && x.namespace);
  return t ? { namespace: t.namespace!, kubeconfig: t.kubeconfig } : undefined;
}

/** The run folder of a result (for the CLI's last line). */
export function runDir(o: Pick<ProveOptions, "reportDir">, r: Pick<ProveResult, "id">): string {
  return path.join(o.reportDir, r.id);
}
