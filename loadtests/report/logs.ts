// Bundles the logs of every instance of the stack for a run's time window into the report directory:
// docker driver → `docker logs --since/--until` through the API (dockerode); process driver → the
// captured stdout/stderr files of the loopback stack, cut to the window where lines carry a timestamp.
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import type { StackOutputs } from "../../stacks/outputs";
import type { LogFile } from "./write";

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; TTY streams pass through. */
export function demuxDockerLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (
    i + 8 <= buf.length &&
    (buf[i] === 0 || buf[i] === 1 || buf[i] === 2) &&
    buf[i + 1] === 0 &&
    buf[i + 2] === 0 &&
    buf[i + 3] === 0
  ) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i === 0) return buf.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}

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
  const containers = Object.values(outputs.chaosTargets).flatMap((t) =>
    t?.driver === "docker" ? (t.containers ?? []) : [],
  );
  if (containers.length) {
    const docker = new Docker();
    for (const name of [...new Set(containers)]) {
      try {
        const buf = (await docker.getContainer(name).logs({
          stdout: true,
          stderr: true,
          timestamps: true,
          since: Math.floor(window.sinceMs / 1000) - 1,
          until: Math.ceil(window.untilMs / 1000) + 1,
          follow: false,
        })) as unknown as Buffer;
        save(name, demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))));
      } catch (e) {
        notes.push(`logs of container ${name} unavailable: ${(e as Error).message}`);
      }
    }
  }
  if (processLogDir && fs.existsSync(processLogDir)) {
    for (const f of fs.readdirSync(processLogDir).sort()) {
      if (!f.endsWith(".log")) continue;
      const text = fs.readFileSync(path.join(processLogDir, f), "utf8");
      save(f.replace(/\.log$/, ""), cutToWindow(text, window.sinceMs, window.untilMs));
    }
  } else if (!containers.length) {
    notes.push(
      "no logs bundled: the stack has no docker containers and no process log directory was given (--logs-dir)",
    );
  }
  return { files, notes };
}
