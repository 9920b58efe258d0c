import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ToxiproxyClient } from "../toxiproxy";
import { freePort } from "./ports";
import { ManagedProcess } from "./proc";
import { httpOk, waitFor } from "./wait";

export interface ToxiproxyServerOptions {
  /** The toxiproxy-server binary (`bash scripts/build-go-tool.sh toxiproxy-server` prints its path). */
  bin: string;
  /** Contents of the `-config` file of proxies created at start (e.g. renderToxiproxyConfig's output). */
  config?: string;
}

/** A real Toxiproxy server with its REST API on a free loopback port; ready once GET /version answers. */
export class ToxiproxyServer {
  apiPort = 0;
  private proc?: ManagedProcess;
  private dir?: string;

  constructor(private readonly opts: ToxiproxyServerOptions) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get client(): ToxiproxyClient {
    return new ToxiproxyClient(this.apiUrl);
  }

  async start(): Promise<this> {
    this.apiPort ||= await freePort();
    const args = ["-host", "127.0.0.1", "-port", String(this.apiPort)];
    if (this.opts.config !== undefined) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-toxiproxy-"));
      const file = path.join(this.dir, "proxies.json");
      fs.writeFileSync(file, this.opts.config);
      args.push("-config", file);
    }
    this.proc = new ManagedProcess("toxiproxy-server", this.opts.bin, args, { env: { LOG_LEVEL: "warn" } });
    try {
      await waitFor(
        "toxiproxy /version",
        async () => this.proc!.running && httpOk(`${this.apiUrl}/version`),
        { timeoutMs: 10000 },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\ntoxiproxy-server output:\n${this.proc.output()}`);
    }
    return this;
  }

  output(): string {
    return this.proc?.output() ?? "";
  }

  async stop(): Promise<void> {
    await this.proc?.stop("SIGTERM", 3000);
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
