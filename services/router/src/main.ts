// Entry point (bundled to dist/router.js): load config, start, drain on SIGTERM/SIGINT.
import { ConfigError } from "../../common/env";
import { createLogger } from "../../common/log";
import { loadRouterConfig, startRouter, type RouterConfig, type RouterHandle } from "./app";

async function main(): Promise<void> {
  let cfg: RouterConfig;
  try {
    cfg = loadRouterConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`router: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const log = createLogger("router", cfg.logLevel);
  const state: { handle?: RouterHandle } = {};
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutdown requested", { signal });
    if (!state.handle) process.exit(0);
    state.handle.stop().then(
      () => process.exit(0),
      (e) => {
        log.error("shutdown failed", { err: e });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  const handle = await startRouter(cfg, log);
  state.handle = handle;
  if (stopping) await handle.stop().then(() => process.exit(0));
}

main().catch((e) => {
  process.stderr.write(`router: fatal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
