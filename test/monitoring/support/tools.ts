// Runs the Debian promtool/amtool binaries on rendered files in a temp dir. Tests assert on the exit
// code and the printed output, exactly as CI or an operator would read them.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RenderedFile } from "../../../monitoring";

export interface ToolResult {
  code: number | null;
  /** stdout and stderr together. */
  output: string;
  stdout: string;
}

export function run(cmd: string, args: string[], cwd?: string): ToolResult {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 60000 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return { code: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}`, stdout: r.stdout ?? "" };
}

export const promtool = (args: string[], cwd?: string) =>
  run(process.env.PROMTOOL_BIN ?? "promtool", args, cwd);
export const amtool = (args: string[], cwd?: string) => run(process.env.AMTOOL_BIN ?? "amtool", args, cwd);

/** A fresh temp dir, removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pg-mon-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function writeFiles(dir: string, files: RenderedFile[]): string[] {
  return files.map((f) => {
    const p = path.join(dir, f.name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.content);
    return p;
  });
}
