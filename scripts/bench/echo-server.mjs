// Baseline (a): the bare node:http floor — read the POST body, answer a small JSON object.
import { Buffer } from "node:buffer";
import http from "node:http";

const reply = Buffer.from('{"ok":true}');
const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  req.on("data", () => undefined);
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": reply.length });
    res.end(reply);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
