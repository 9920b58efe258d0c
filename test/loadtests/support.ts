// Shared set-up for the loopback validation suites: the service bundles must exist (built once if not).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

export function ensureBuilt(): void {
  if (fs.existsSync(path.join(ROOT, "dist/gateway.js")) && fs.existsSync(path.join(ROOT, "dist/router.js")))
    return;
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
}

export const REPORTS_DIR = path.join(ROOT, "reports");
