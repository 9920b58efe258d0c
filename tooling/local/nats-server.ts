import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports";
import { ManagedProcess } from "./proc";
import { httpOk, waitFor } from "./wait";

export interface NatsServerOptions {
  /** Client auth; both or neither. */
  user?: string;
  password?: string;
  /** Extra nats-server arguments. */
  args?: string[];
}

/**
 * A real nats-server (Debian package) with JetStream in a temp dir, on free loopback ports.
 * `kill()` and `start()` keep the same ports and store so reconnect tests see the "same" server.
 */
export class NatsServer {
  port = 0;
  monitorPort = 0;
  readonly storeDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-nats-"));
  private proc?: ManagedProcess;

  constructor(private readonly opts: NatsServerOptions = {}) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPort}`;
  }

  get running(): boolean {
    return !!this.proc?.running;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    if (!this.monitorPort) this.monitorPort = await freePort();
    const bin = process.env.NATS_SERVER_BIN ?? "nats-server";
    const args = [
      "-a",
      "127.0.0.1",
      "-p",
      String(this.port),
      "-m",
      String(this.monitorPort),
      "-js",
      "-sd",
      this.storeDir,
    ];
    if (this.opts.user) args.push("--user", this.opts.user, "--pass", this.opts.password ?? "");
    args.push(...(this.opts.args ?? []));
    this.proc = new ManagedProcess("nats-server", bin, args);
    try {
      await waitFor(
        "nats-server /healthz",
        async () => this.proc!.running && httpOk(`${this.monitorUrl}/healthz`),
        {
          timeoutMs: 10000,
        },
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\nnats-server output:\n${this.proc.output()}`);
    }
    return this;
  }

  /** SIGKILL (default) or another signal; resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.proc?.stop(signal, 2000);
  }

  /** Stops the server and removes its store. */
  async stop(): Promise<void> {
    await this.proc?.stop("SIGTERM", 3000);
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }

  /** Number of client connections the server currently has (from /connz). */
  async connections(): Promise<number> {
    const res = await fetch(`${this.monitorUrl}/connz`);
    const body = (await res.json()) as { num_connections: number };
    return body.num_connections;
  }
}

/** Starts a NATS server and returns it; the caller stops it in `after`. */
export async function startNats(opts: NatsServerOptions = {}): Promise<NatsServer> {
  return new NatsServer(opts).start();
}
