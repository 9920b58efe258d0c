// Reading a `npm run prove` run in tests: a phase by name (the assertion names the phases there are), and a
// phase's own JSON result beside the index.html its report links.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { PhaseResult, ProveResult } from "../../prove/report";
import type { CliRun } from "./deployed-stack";

export function proveAccessors(run: () => CliRun<ProveResult>): {
  phase(name: string): PhaseResult;
  phaseJson<T>(name: string, file: string): T;
} {
  const phase = (name: string): PhaseResult => {
    const phases = run().result.phases;
    const p = phases.find((x) => x.name === name);
    assert.ok(p, `phase ${name} is missing; phases: ${phases.map((x) => x.name).join(", ")}`);
    return p;
  };
  const phaseJson = <T>(name: string, file: string): T => {
    const report = phase(name).report;
    assert.ok(report, `phase ${name} links no report`);
    return JSON.parse(fs.readFileSync(path.join(run().dir, path.dirname(report), file), "utf8")) as T;
  };
  return { phase, phaseJson };
}
