// The open-model driver against a real node:http server on loopback: rate, outcome classes, the
// in-flight bound, per-attempt records and bounded termination.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { runOpenModel, RequestRecord } from "../../tooling/open-model";

describe("loadtests: open-model driver", function () {
  let server: http.Server;
  let url: string;
  const sockets = new Set<import("node:net").Socket>();

  before(async () => {
    // /?ms=N answers after N ms; /status/N answers N; /reset destroys the socket.
    server = http.createServer((req, res) => {
      const u = new URL(req.url!, "http://x");
      req.resume();
      if (u.pathname === "/reset") {
        req.socket.destroy();
        return;
      }
      const code = u.pathname.startsWith("/status/") ? Number(u.pathname.slice(8)) : 200;
      setTimeout(() => res.writeHead(code).end("{}"), Number(u.searchParams.get("ms") ?? 0));
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((r) => server.close(r));
  });

  it("sends at the planned rate and records every attempt once", async () => {
    const recs: RequestRecord[] = [];
    const r = await runOpenModel({
      url,
      schedule: { kind: "rate", rate: 200 },
      durationMs: 2000,
      request: () => ({ path: "/", method: "POST", body: "x" }),
      onRecord: (x) => recs.push(x),
    });
    assert.equal(r.planned, 400);
    assert.equal(r.ok, 400);
    assert.equal(recs.length, 400);
    assert.deepEqual(new Set(recs.map((x) => x.id)).size, 400);
    // Intended send times are 5 ms apart, independent of the answers.
    assert.ok(
      Math.abs(recs.find((x) => x.id === 10)!.intendedAt - recs.find((x) => x.id === 0)!.intendedAt - 50) <
        0.01,
    );
    assert.ok(r.elapsedMs >= 1990 && r.elapsedMs < 4000, `elapsed ${r.elapsedMs}`);
    assert.ok(r.latencyUs.corrected.p50 >= r.latencyUs.uncorrected.p50, "corrected latency ≥ uncorrected");
    assert.equal(r.successRate, 1);
    assert.ok(r.windows.length >= 2);
  });

  it("measures from the intended time: a stalled sender shows up as late sends and corrected latency", async () => {
    // The first request's builder blocks the event loop for 200 ms, so the sends planned meanwhile
    // leave late. Their latency from the intended time includes that wait; from the actual send it does not.
    const r = await runOpenModel({
      url,
      schedule: { kind: "rate", rate: 100 },
      count: 40,
      request: (i) => {
        if (i === 0) {
          const until = Date.now() + 200;
          while (Date.now() < until) {
            // busy: simulates a stalled client (GC pause, CPU starvation)
          }
        }
        return { path: "/" };
      },
    });
    assert.equal(r.ok, 40);
    assert.ok(r.late >= 10, `late ${r.late}`);
    assert.ok(r.maxLateUs >= 150_000, `max late ${r.maxLateUs}`);
    assert.ok(r.latencyUs.corrected.max >= 150_000, JSON.stringify(r.latencyUs));
    assert.ok(r.latencyUs.uncorrected.max < r.latencyUs.corrected.max / 2, JSON.stringify(r.latencyUs));
  });

  it("classifies ok / fail / unknown and counts dropped sends against the success rate", async () => {
    const r = await runOpenModel({
      url,
      schedule: { kind: "burst", size: 20, intervalMs: 1000 },
      count: 20,
      maxInFlight: 15,
      timeoutMs: 300,
      request: (i) => ({ path: i < 5 ? "/status/503" : i < 8 ? "/?ms=2000" : i < 10 ? "/reset" : "/" }),
    });
    assert.equal(r.planned, 20);
    assert.equal(r.dropped, 5, "5 beyond the in-flight bound of 15");
    assert.equal(r.fail, 5 + 5, "503s and dropped sends are explicit failures");
    assert.equal(r.unknown, 3 + 2, "timeouts and resets are unknown");
    assert.equal(r.ok, 5);
    assert.equal(r.successRate, 5 / 20);
    assert.equal(r.errorCounts.timeout, 3);
  });

  it("a connection refused is a failure, and the run still ends", async () => {
    const r = await runOpenModel({
      url: "http://127.0.0.1:1",
      schedule: { kind: "rate", rate: 50 },
      count: 5,
      request: () => ({ path: "/" }),
    });
    assert.equal(r.fail, 5);
    assert.equal(r.ok + r.unknown, 0);
  });

  it("refuses an unbounded run", async () => {
    await assert.rejects(
      runOpenModel({ url, schedule: { kind: "rate", rate: 1 }, request: () => ({ path: "/" }) }),
      /set durationMs or count/,
    );
  });
});
