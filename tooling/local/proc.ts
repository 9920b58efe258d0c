import { spawn, ChildProcess } from "node:child_process";

/** A child process started by a test, with its output kept for failure messages. */
export class ManagedProcess {
  readonly child: ChildProcess;
  private out: string[] = [];
  private exited: Promise<number | null>;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(cmd, args, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (b: Buffer) => {
      this.out.push(b.toString());
      if (this.out.length > 400) this.out.splice(0, this.out.length - 400);
      if (process.env.TEST_VERBOSE) process.stderr.write(`[${name}] ${b}`);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed (stdout and stderr interleaved). */
  output(): string {
    return this.out.join("");
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.running && this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Resolves with the exit code when the process ends on its own. */
  waitExit(): Promise<number | null> {
    return this.exited;
  }
}
