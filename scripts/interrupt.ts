// Ctrl-C (and SIGTERM) for commands that own a deployed stack: the first signal asks for a clean stop
// (`signal` is aborted: cancel the work, then destroy), a second one means "stop now". Under `tsx` (every
// npm script here) one Ctrl-C can arrive twice: once from the terminal, once relayed by tsx to its child;
// a repeat within `duplicateWindowMs` of the first is that same Ctrl-C, not a second one.

export interface InterruptOptions {
  /** Default SIGINT only. */
  signals?: NodeJS.Signals[];
  /** After the first signal (`signal` is already aborted). */
  onFirst?: (sig: NodeJS.Signals) => void;
  /** A second signal, later than `duplicateWindowMs` after the first. */
  onSecond: (sig: NodeJS.Signals) => void;
  /** Default 1000. */
  duplicateWindowMs?: number;
  /** Injectable for tests. Default Date.now. */
  now?: () => number;
}

export interface Interrupts {
  /** Aborted by the first signal; its reason is an Error naming the signal. */
  signal: AbortSignal;
  /** The first signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** `p`, unless a signal comes first: then rejects at once (for work that is not a pulumi child). */
  untilInterrupted<T>(p: Promise<T>): Promise<T>;
  /** The handler itself (what `process.on` got), for tests. */
  handle(sig: NodeJS.Signals): void;
  /** Removes the process handlers. */
  dispose(): void;
}

/** Conventional exit code of a process stopped by `sig`: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return sig === "SIGTERM" ? 143 : sig === "SIGHUP" ? 129 : 130;
}

export function watchInterrupts(o: InterruptOptions): Interrupts {
  const signals = o.signals ?? ["SIGINT"];
  const now = o.now ?? Date.now;
  const windowMs = o.duplicateWindowMs ?? 1000;
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  let firstAt = 0;
  const handle = (sig: NodeJS.Signals) => {
    if (first) {
      if (now() - firstAt > windowMs) o.onSecond(sig);
      return;
    }
    first = sig;
    firstAt = now();
    controller.abort(new Error(`interrupted (${sig === "SIGINT" ? "Ctrl-C" : sig})`));
    o.onFirst?.(sig);
  };
  for (const s of signals) process.on(s, handle);
  return {
    signal: controller.signal,
    received: () => first,
    handle,
    untilInterrupted: <T>(p: Promise<T>) =>
      Promise.race([
        p,
        new Promise<never>((_, reject) => {
          const s = controller.signal;
          if (s.aborted) reject(s.reason);
          else s.addEventListener("abort", () => reject(s.reason), { once: true });
        }),
      ]),
    dispose: () => {
      for (const s of signals) process.off(s, handle);
    },
  };
}
