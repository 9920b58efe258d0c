// One validation run: E2E checks and/or load profiles against a stack, then the report with the stack's
// logs for the run window. The CLI and the mocha suites both call runValidation, so they run the same code.
import path from "node:path";
import type { StackOutputs } from "../stacks/outputs";
import type { CheckResult } from "./e2e/check";
import { E2EContext, E2EOptions } from "./e2e/context";
import { runE2E } from "./e2e/index";
import { LoadTarget, ProfileName, ProfileResult, runProfile, RunSettings, warmUp } from "./profiles";
import { collectLogs } from "./report/logs";
import { collectFailures, refreshIndex, RunReport, runId, writeReport } from "./report/write";

export type Mode = "e2e" | "load" | "soak" | "all";

export interface ValidationRequest {
  mode: Mode;
  outputs: StackOutputs;
  e2e: E2EOptions & { only?: string[] };
  load: Omit<LoadTarget, "outputs">;
  profiles: ProfileName[];
  settings: RunSettings;
  reportsDir: string;
  /** Log directory of a process-driver stack (loopback), bundled into the report. */
  processLogDir?: string;
  command: string;
  log?: (line: string) => void;
}

export interface ValidationOutcome {
  report: RunReport;
  dir: string;
}

export async function runValidation(request: ValidationRequest): Promise<ValidationOutcome> {
  // A stack that requires tenant tokens exports them (the secret `tenantTokens` output): the checks and
  // profiles use them unless the caller gave tokens explicitly (--tenant-tokens).
  const tokens = request.outputs.tenantTokens;
  const req: ValidationRequest = {
    ...request,
    e2e: { ...request.e2e, tenantTokens: request.e2e.tenantTokens ?? tokens },
    load: { ...request.load, tenantTokens: request.load.tenantTokens ?? tokens },
  };
  const log = req.log ?? (() => undefined);
  const started = new Date();
  const id = runId(started);
  let e2e: CheckResult[] | undefined;
  const profiles: ProfileResult[] = [];
  const notes: string[] = [];

  if (req.mode === "e2e" || req.mode === "all") {
    const ctx = new E2EContext(req.outputs, { ...req.e2e, log: (l) => log(`    ${l}`) });
    try {
      e2e = await runE2E(ctx, {
        only: req.e2e.only,
        onResult: (r, i, n) =>
          log(
            `[e2e ${i + 1}/${n}] ${r.passed ? "pass" : "FAIL"} ${r.id} (${r.durationMs} ms)${r.passed ? "" : `: ${r.error}`}`,
          ),
      });
    } finally {
      await ctx.close();
    }
  }
  const names: ProfileName[] =
    req.mode === "soak"
      ? ["soak"]
      : req.mode === "load"
        ? req.profiles
        : req.mode === "all"
          ? [...req.profiles, "soak"]
          : [];
  if (names.length) {
    log("[load] warm-up (3 s, not measured) …");
    await warmUp({ outputs: req.outputs, ...req.load }, req.settings);
  }
  for (const name of [...new Set(names)]) {
    log(`[load] ${name} …`);
    const r = await runProfile(name, { outputs: req.outputs, ...req.load }, req.settings);
    profiles.push(r);
    log(
      `[load] ${name}: ${r.passed ? "passed" : "FAILED"} ${r.values.throughput_rps?.toFixed(0)} req/s, p99 ${r.values.p99_ms?.toFixed(1)} ms, success ${((r.values.success_rate ?? 0) * 100).toFixed(3)} %`,
    );
    for (const g of r.gates) if (!g.passed) log(`        gate failed: ${g.detail}`);
    if (r.tail.verdict) log(`        tail: ${r.tail.verdict}`);
  }
  const finished = new Date();
  const dir = path.join(req.reportsDir, id);
  const logs = await collectLogs(
    req.outputs,
    dir,
    { sinceMs: started.getTime(), untilMs: finished.getTime() },
    req.processLogDir,
  );
  notes.push(...logs.notes);
  const failures = collectFailures(e2e, profiles);
  const report: RunReport = {
    id,
    command: req.command,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    stack: { name: req.outputs.stack, target: req.outputs.target, gatewayUrl: req.outputs.gatewayUrl },
    e2e,
    profiles,
    passed: failures.length === 0,
    failures,
    logs: logs.files,
    notes,
  };
  writeReport(req.reportsDir, report);
  refreshIndex(req.reportsDir);
  return { report, dir };
}
