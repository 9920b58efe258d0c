// The packed npm package of the components (`npm run pack:components`) installed into a consumer's folder
// with npm, as a platform team would: what the deployed suites of the example consumers share.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../scripts/engine";
import { tarballPath } from "../../scripts/components-package";

const PACKAGE = "@proving-ground/components";

/** Runs a command to its end, failing with its output; returns the wall-clock seconds it took. */
export async function timedRun(
  file: string,
  args: string[],
  { cwd, timeoutMs, env = {} }: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<number> {
  const t0 = Date.now();
  try {
    await promisify(execFile)(file, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...env },
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${file} ${args.join(" ")} failed: ${err.message}\n${err.stdout ?? ""}\n${err.stderr ?? ""}`,
    );
  }
  return (Date.now() - t0) / 1000;
}

/**
 * The tarball, packed by this mocha run already (the package suite, another example) or packed now, then
 * `npm install` in `dir`, whose package.json must depend on exactly that tarball (a relative file: path).
 * The package is installed afresh: the copy in node_modules and the lock's integrity may be of an earlier
 * pack. Returns the seconds of each step (pack 0 when reused).
 */
export async function installPackedComponents(dir: string): Promise<{ pack: number; install: number }> {
  const tgz = tarballPath();
  const runStarted = Date.now() - process.uptime() * 1000;
  const pack =
    fs.existsSync(tgz) && fs.statSync(tgz).mtimeMs >= runStarted
      ? 0
      : await timedRun("npm", ["run", "--silent", "pack:components"], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  const dependency: string | undefined = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
    .dependencies?.[PACKAGE];
  if (!dependency?.startsWith("file:"))
    throw new Error(`${dir}/package.json: ${PACKAGE} is not a file: dependency`);
  assert.equal(path.resolve(dir, dependency.slice("file:".length)), tgz, `${dir} depends on another tarball`);

  fs.rmSync(path.join(dir, "node_modules", ...PACKAGE.split("/")), { recursive: true, force: true });
  fs.rmSync(path.join(dir, "package-lock.json"), { force: true });
  const install = await timedRun(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
    { cwd: dir, timeoutMs: 600_000 },
  );
  return { pack, install };
}

/** Checkpoint files of one stack in a file backend (the project-scoped layout of the CLI). */
export function stackCheckpointFiles(stateDir: string, project: string, stack: string): string[] {
  const dir = path.join(stateDir, ".pulumi", "stacks", project);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${stack}.json`)) : [];
}
