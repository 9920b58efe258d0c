// Baseline (b): a trivial NATS responder (its own process, like the router) that answers every request
// on `bench.echo` with a fixed small reply.
import { TextEncoder } from "node:util";
import { connect } from "nats";

const nc = await connect({ servers: process.argv[2] });
const reply = new TextEncoder().encode('{"ok":true}');
nc.subscribe("bench.echo", { callback: (_e, m) => m.respond(reply) });
await nc.flush();
process.stdout.write("READY\n");
process.on("SIGTERM", () => nc.drain().then(() => process.exit(0)));
