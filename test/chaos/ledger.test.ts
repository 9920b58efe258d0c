import assert from "node:assert/strict";
import http from "node:http";
import { drain } from "../../chaos/drain";
import { DurableAttempt, FinalRead, reconcile } from "../../chaos/ledger";

const a = (
  messageId: string,
  outcome: DurableAttempt["outcome"],
  extra: Partial<DurableAttempt> = {},
): DurableAttempt => ({
  messageId,
  outcome,
  attempt: 1,
  ...extra,
});
const finals = (o: Record<string, FinalRead["state"] | FinalRead>) =>
  new Map(Object.entries(o).map(([k, v]) => [k, typeof v === "string" ? { state: v } : v]));

describe("chaos ledger (reconcile)", () => {
  it("passes when every acked message is decided", () => {
    const r = reconcile(
      [a("m1", "ok", { streamSeq: 1 }), a("m2", "ok", { streamSeq: 2 })],
      finals({ m1: "decided", m2: "decided" }),
    );
    assert.equal(r.ok, true);
    assert.equal(r.acked, 2);
    assert.equal(r.decided, 2);
    assert.deepEqual(r.lost, []);
  });

  it("counts an acked message that is pending, missing or unreadable after the drain as lost", () => {
    const r = reconcile(
      [a("m1", "ok"), a("m2", "ok"), a("m3", "ok")],
      finals({ m1: "pending", m2: "not_found" }),
    );
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.lost.map((l) => l.messageId),
      ["m1", "m2", "m3"],
    );
    assert.match(r.lost[2].reason, /unreadable/);
  });

  it("flags a definitely rejected message that was decided anyway as unexpected", () => {
    const r = reconcile([a("m1", "fail", { status: 503, error: "unavailable" })], finals({ m1: "decided" }));
    assert.deepEqual(r.unexpected, [
      { messageId: "m1", reason: "client saw 503 unavailable (not accepted), final read: decided" },
    ]);
    assert.equal(r.ok, false);
  });

  it("resolves unknown outcomes: decided → recovered, not found → unknown, pending → lost", () => {
    const r = reconcile(
      [a("u1", "unknown"), a("u2", "unknown"), a("u3", "unknown"), a("f1", "fail")],
      finals({ u1: "decided", u2: "not_found", u3: "pending", f1: "not_found" }),
    );
    assert.deepEqual(r.recovered, ["u1"]);
    assert.deepEqual(r.unknown, ["u2"]);
    assert.deepEqual(
      r.lost.map((l) => l.messageId),
      ["u3"],
    );
    assert.deepEqual(r.unexpected, []);
  });

  it("reports duplicates with their cause and does not fail on them", () => {
    const r = reconcile(
      [
        a("d1", "ok", { streamSeq: 4 }),
        a("d1", "ok", { streamSeq: 9, attempt: 2 }),
        a("d2", "ok", { streamSeq: 5, duplicate: true }),
        a("d3", "ok", { streamSeq: 6 }),
        a("d4", "unknown"),
        a("d4", "ok", { streamSeq: 7, duplicate: true, attempt: 2 }),
      ],
      finals({ d1: "decided", d2: "decided", d3: { state: "decided", deliveries: 3 }, d4: "decided" }),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.duplicated.map((d) => [d.messageId, d.streamSeqs]),
      [
        ["d1", [4, 9]],
        ["d2", [5]],
        ["d3", [6]],
      ],
    );
    assert.match(r.duplicated[0].cause, /outside the JetStream duplicate window/);
    assert.match(r.duplicated[1].cause, /collision/);
    assert.match(r.duplicated[2].cause, /3 deliveries/);
  });
});

describe("chaos drain", () => {
  it("sends the tenant's bearer token and waits out a 429 (rate limit) instead of giving up on the id", async function () {
    this.timeout(20000);
    const seen: { auth?: string; tenant?: string }[] = [];
    const limited = new Set<string>();
    const srv = http.createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, tenant: req.headers["x-tenant-id"] as string });
      const id = decodeURIComponent(req.url!.split("/").pop()!);
      if (!limited.has(id)) {
        limited.add(id);
        res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
        res.end('{"ok":false,"error":{"code":"rate_limit_exceeded"}}');
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true,"decision":{}}');
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
      const attempts = ["m1", "m2", "m3"].map((id) => a(id, "ok", { streamSeq: 1 }));
      const r = await drain(attempts, {
        gatewayUrl: url,
        tenant: "chaos",
        token: "tok-chaos",
        timeLimitMs: 10000,
      });
      assert.equal(r.caughtUp, true);
      assert.deepEqual(
        [...r.finals.values()].map((f) => f.state),
        ["decided", "decided", "decided"],
      );
      assert.ok(
        seen.every((s) => s.auth === "Bearer tok-chaos" && s.tenant === "chaos"),
        JSON.stringify(seen),
      );
    } finally {
      srv.close();
    }
  });
});
