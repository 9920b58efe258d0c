// Same-run baseline: a bare node:http echo server in its own process on the same host, measured with the
// same tool and settings as the target. Reports then give ratios (target / baseline) that stay
// comparable across machines, instead of raw numbers that mostly measure the machine.
import { spawn } from "node:child_process";
import readline from "node:readline";

const ECHO_SERVER = `
const http = require("node:http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const b = Buffer.concat(chunks);
    res.writeHead(200, { "content-type": "application/json", "content-length": b.length });
    res.end(b);
  });
}).listen(0, "127.0.0.1", function () { console.log(this.address().port); });
`;

export interface EchoServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts the echo server as a child process (so it does not share the load generator's event loop). */
export async function startEchoServer(): Promise<EchoServer> {
  const child = spawn(process.execPath, ["-e", ECHO_SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once("line", (l) => resolve(Number(l)));
    child.once("exit", (c) => reject(new Error(`echo server exited with ${c}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    },
  };
}

/** target / baseline, or null when either side is missing or the baseline is zero. */
export function ratio(target: number | null | undefined, baseline: number | null | undefined): number | null {
  if (target === null || target === undefined || baseline === null || baseline === undefined) return null;
  if (!Number.isFinite(target) || !Number.isFinite(baseline) || baseline === 0) return null;
  return target / baseline;
}
