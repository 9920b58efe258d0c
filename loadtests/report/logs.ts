// Bundles the logs of every instance of the stack for a run's time window into the report directory:
// through the stack's driver (docker: `docker logs --since/--until` through the API); process stack: the
// captured stdout/stderr files of the loopback stack, cut to the window where lines carry a timestamp.
import fs from "node:fs";
import path from "node:path";
import type { Role, StackOutputs } from "../../stacks/outputs";
import { localDriver } from "../../tooling/drivers";
import { ChaosDriver, isUnavailable, unavailable } from "../../tooling/drivers/types";
import type { LogFile } from "./write";

/** Keeps lines whose timestamp (JSON "ts", or nats-server's "[pid] YYYY/MM/DD hh:mm:ss") is inside the window. */
export function cutToWindow(text: string, sinceMs: number, untilMs: number): string {
  return text
    .split("\n")
    .filter((line) => {
      let t: number | undefined;
      const j = /"ts":"([^"]+)"/.exec(line);
      if (j) t = Date.parse(j[1]);
      else {
        const m = /^\[\d+\] (\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(line);
        if (m) t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`); // nats-server logs local time
      }
      return t === undefined || Number.isNaN(t) || (t >= sinceMs - 1000 && t <= untilMs + 1000);
    })
    .join("\n");
}

export async function collectLogs(
  outputs: StackOutputs,
  runDir: string,
  window: { sinceMs: number; untilMs: number },
  processLogDir?: string,
  /** The stack's driver when the caller holds one; else the stack's local driver (docker, process). */
  driver?: ChaosDriver,
): Promise<{ files: LogFile[]; notes: string[] }> {
  const dir = path.join(runDir, "logs");
  fs.mkdirSync(dir, { recursive: true });
  const files: LogFile[] = [];
  const notes: string[] = [];
  const save = (name: string, text: string) => {
    const file = path.join("logs", `${name.replace(/[^\w.-]/g, "_")}.log`);
    fs.writeFileSync(path.join(runDir, file), text);
    files.push({ name, file, bytes: Buffer.byteLength(text) });
  };
  // Instances named twice (one container behind two roles) are bundled once.
  const seen = new Set<string>();
  const d = driver ?? localDriver(outputs);
  try {
    for (const role of d ? (Object.keys(outputs.chaosTargets) as Role[]) : []) {
      const logs = (await d!.logs?.(role, window)) ?? unavailable(`${d!.name} driver reads no logs`);
      if (isUnavailable(logs)) continue; // e.g. a process stack: its log files come below
      for (const l of logs) {
        if (seen.has(l.instance)) continue;
        seen.add(l.instance);
        if ("text" in l) save(l.instance, l.text);
        else notes.push(`logs of container ${l.instance} unavailable: ${l.error}`);
      }
    }
  } finally {
    if (!driver) await d?.close?.();
  }
  if (processLogDir && fs.existsSync(processLogDir)) {
    for (const f of fs.readdirSync(processLogDir).sort()) {
      if (!f.endsWith(".log")) continue;
      const text = fs.readFileSync(path.join(processLogDir, f), "utf8");
      save(f.replace(/\.log$/, ""), cutToWindow(text, window.sinceMs, window.untilMs));
    }
  } else if (!seen.size) {
    notes.push(
      "no logs bundled: the stack has no docker containers and no process log directory was given (--logs-dir)",
    );
  }
  return { files, notes };
}
