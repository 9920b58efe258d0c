// `npm run dev`: the whole stack on loopback in the foreground (no Docker, no Pulumi). Prints the URLs and
// writes the stack outputs to a file that `npm run validate -- … --outputs <file>` and `npm run chaos`
// read. Ctrl-C stops everything.
import fs from "node:fs";
import path from "node:path";
import { startLocalStack } from "./local-stack";

async function main(): Promise<void> {
  const outFile = path.resolve(process.env.DEV_OUTPUTS_FILE ?? "reports/dev-stack/outputs.json");
  const port = process.env.GATEWAY_PORT ? Number(process.env.GATEWAY_PORT) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`GATEWAY_PORT must be a port number, got ${JSON.stringify(process.env.GATEWAY_PORT)}`);
  }
  const stack = await startLocalStack({
    gatewayPort: port || undefined,
    routers: Number(process.env.DEV_ROUTERS ?? 1),
    verbose: process.env.DEV_VERBOSE === "1",
    stateDir: path.dirname(outFile),
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(stack.outputs, null, 2));
  const o = stack.outputs;
  console.log(
    [
      "Beamline dev stack running on loopback (Ctrl-C stops it)",
      `  gateway        ${o.gatewayUrl}   (try: curl ${o.gatewayUrl}/health)`,
      `  nats           ${o.natsUrl}   user ${o.natsUser}`,
      `  nats monitor   ${o.natsMonitorUrls.join(", ")}`,
      `  router metrics ${o.routerMetricsUrls.join(", ")}`,
      `  logs           ${stack.logDir}`,
      `  outputs        ${outFile}`,
      `  validate:      npm run validate -- e2e --outputs ${path.relative(process.cwd(), outFile)}`,
    ].join("\n"),
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping dev stack…");
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((e) => {
  console.error(`npm run dev: ${(e as Error).message}`);
  process.exit(1);
});
