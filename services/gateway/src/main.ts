// Entry point (bundled to dist/gateway.js): config errors exit 1 with the message; SIGTERM/SIGINT stop
// accepting, drain requests in flight (bounded by GATEWAY_SHUTDOWN_GRACE_MS), then drain NATS.
import { ConfigError } from "../../common/env";
import { createLogger } from "../../common/log";
import { loadGatewayConfig, RunningGateway, startGateway } from "./app";

// nats.js builds a NatsError (with a captured stack) for every request it settles, even successful
// ones; the bench profile showed it at ~3.5% of the gateway's CPU. Our logs carry error name and
// message, never stacks, so the service keeps only a few frames (NODE_STACK_FRAMES raises it to debug).
Error.stackTraceLimit = Number(process.env.NODE_STACK_FRAMES ?? 2) || 0;

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadGatewayConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`gateway: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const log = createLogger("gateway", cfg.logLevel);
  // Handlers go in before startGateway resolves (it waits for the first NATS connection): as PID 1 in a
  // container, a signal without a handler is ignored and `docker stop` would have to SIGKILL.
  const started: { gw?: RunningGateway } = {};
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info("signal received", { signal });
    if (!started.gw) process.exit(0); // nothing accepted yet that would need draining
    started.gw.stop().then(
      () => process.exit(0),
      (e) => {
        log.error("shutdown failed", { err: e as Error });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  started.gw = await startGateway(cfg, log);
}

main().catch((e) => {
  process.stderr.write(`gateway: fatal: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
