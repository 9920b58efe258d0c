// Runs a selection of experiments against one stack and writes reports/chaos/<timestamp>/ with
// journal.json and index.html. Suite members the stack cannot run (too few instances, a driver lacking
// a capability) are excluded and listed; experiments named explicitly run and fail their precondition.
import fs from "node:fs";
import path from "node:path";
import type { StackOutputs } from "../stacks/outputs";
import { openDriver } from "../tooling/drivers";
import type { ChaosDriver } from "../tooling/drivers/types";
import { select } from "./experiments";
import type { RunJournal } from "./journal";
import { checkPreconditions } from "./model";
import { renderReport } from "./report";
import { driverCapabilities, roleCounts, runExperiment } from "./runner";

export interface SuiteOptions {
  outputs: StackOutputs;
  /** Defaults to openDriver(outputs). */
  driver?: ChaosDriver;
  /** Root of the report folders; default <cwd>/reports/chaos. */
  reportRoot?: string;
  drainTimeLimitMs?: number;
  progress?: (line: string) => void;
}

export interface SuiteResult {
  journal: RunJournal;
  dir: string;
}

export function timestampDir(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, "-");
}

export async function runSuite(words: string[], o: SuiteOptions): Promise<SuiteResult> {
  const sel = select(words);
  const driver = o.driver ?? (await openDriver(o.outputs));
  const caps = await driverCapabilities(driver);
  const counts = roleCounts(o.outputs, driver);
  const started = new Date();
  const journal: RunJournal = {
    runId: timestampDir(started),
    startedAt: started.toISOString(),
    stack: {
      target: o.outputs.target,
      stack: o.outputs.stack,
      driver: driver.name,
      capabilities: [...caps].sort(),
    },
    notApplicable: [],
    experiments: [],
    status: "passed",
  };
  const dir = path.join(o.reportRoot ?? path.join(process.cwd(), "reports", "chaos"), journal.runId);
  fs.mkdirSync(dir, { recursive: true });
  const write = () => {
    fs.writeFileSync(path.join(dir, "journal.json"), JSON.stringify(journal, null, 1));
    fs.writeFileSync(path.join(dir, "index.html"), renderReport(journal));
  };
  const todo = sel.experiments.filter((e) => {
    const pre = checkPreconditions(e, counts, caps, o.outputs);
    if (pre.ok || !sel.fromSuite.has(e.name)) return true;
    journal.notApplicable.push({ name: e.name, problems: pre.problems });
    return false;
  });
  try {
    for (const [i, e] of todo.entries()) {
      const j = await runExperiment(e, {
        outputs: o.outputs,
        driver,
        drainTimeLimitMs: o.drainTimeLimitMs,
        progress: (line) => o.progress?.(`[${i + 1}/${todo.length}] ${line}`),
      });
      journal.experiments.push(j);
      if (j.status !== "passed") journal.status = "failed";
      write();
    }
  } finally {
    journal.endedAt = new Date().toISOString();
    if (todo.length === 0) journal.status = "failed";
    write();
    await driver.close?.();
  }
  return { journal, dir };
}
