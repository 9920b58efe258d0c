// Probes and alert polling against a real HTTP server standing in for the gateway and Prometheus (the
// Prometheus /api/v1/alerts shape), with a driver that reports instance states.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ChaosDriver } from "../../tooling/drivers/types";
import { startObserver } from "../../chaos/observe";
import type { StackOutputs } from "../../stacks/outputs";
import { waitFor } from "../../tooling/local/wait";

describe("chaos observer (probes and Prometheus alerts)", () => {
  let server: http.Server;
  let url = "";
  let firing: string[] = [];
  let healthy = true;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/api/v1/alerts") {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            status: "success",
            data: {
              alerts: [
                ...firing.map((n) => ({ labels: { alertname: n }, state: "firing" })),
                { labels: { alertname: "Pending" }, state: "pending" },
              ],
            },
          }),
        );
        return;
      }
      res.statusCode = healthy ? 200 : 503;
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("records probes and first-firing times; pre-existing alerts count again only after resolving (no activeAt)", async () => {
    const outputs = {
      gatewayUrl: url,
      prometheusUrl: url,
      chaosTargets: { router: { driver: "process", pids: [1] } },
    } as unknown as StackOutputs;
    let routerUp = true;
    const driver = { running: async () => [routerUp] } as unknown as ChaosDriver;
    firing = ["Watchdog", "Leftover"];
    const obs = startObserver(outputs, driver, 50);
    try {
      await obs.alertsKnown;
      assert.equal(obs.alerts.size, 3); // Watchdog and Leftover firing, Pending pending
      obs.markPreexisting();
      firing = ["Watchdog"]; // Leftover resolves
      healthy = false;
      routerUp = false;
      await waitFor("a failing probe", () =>
        obs.probes.some((p) => !p.health && p.running.router?.[0] === false),
      );
      const faultAt = Date.now();
      firing = ["Watchdog", "Leftover", "NatsDown"];
      await waitFor(
        "new alerts",
        () => obs.alerts.has("NatsDown") && obs.alerts.get("Leftover")!.firstFiringAt! >= faultAt,
      );
    } finally {
      await obs.stop();
    }
    assert.equal(obs.alerts.get("Watchdog")!.preexisting, true);
    assert.equal(obs.alerts.get("Leftover")!.preexisting, false);
    assert.equal(obs.alerts.get("NatsDown")!.preexisting, false);
    // Tracked per instance from pending on, but only a firing poll sets firstFiringAt.
    assert.equal(obs.alerts.get("Pending")!.firstFiringAt, undefined);
    assert.equal(obs.alerts.get("Pending")!.preexisting, true);
    assert.ok(obs.probes.some((p) => p.health && p.ready));
  });
});
