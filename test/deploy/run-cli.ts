// Runs test/deploy/cli.ts in a child process (the mock runtime is process-global state) and collects
// its output, streaming it to stderr when TEST_VERBOSE is set.
import { spawn } from "node:child_process";
import path from "node:path";

export const CLI = path.join(__dirname, "cli.ts");
const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface CliResult {
  code: number | null;
  output: string;
}

export function runCli(
  args: string[],
  { timeoutMs = 900_000 }: { timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
    const child = spawn(tsx, [CLI, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (b: Buffer) => {
      output += b.toString();
      if (process.env.TEST_VERBOSE) process.stderr.write(b);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`cli.ts ${args.join(" ")} timed out after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
