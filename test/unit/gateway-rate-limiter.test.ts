import assert from "node:assert/strict";
import { RateLimiter } from "../../services/gateway/src/rate-limiter";

describe("gateway rate limiter", function () {
  it("allows a burst, then refills at the rate, per tenant", function () {
    let now = 0;
    const rl = new RateLimiter(2, 3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => rl.take("a").allowed),
      [true, true, true, false],
    );
    const denied = rl.take("a");
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterS, 1);
    assert.equal(denied.remaining, 0);
    assert.equal(denied.limit, 3);
    assert.equal(denied.resetS, 2);
    assert.equal(rl.take("b").allowed, true, "tenant b has its own window");
    now = 500;
    assert.equal(rl.take("a").allowed, true, "one token after 0.5 s at 2 rps");
    assert.equal(rl.take("a").allowed, false);
  });

  it("sweeps buckets that have refilled, keeping the map bounded", function () {
    let now = 0;
    const rl = new RateLimiter(10, 10, () => now);
    for (let i = 0; i < 100; i++) rl.take(`t${i}`);
    assert.equal(rl.size, 100);
    now = 50;
    rl.sweep();
    assert.equal(rl.size, 100, "not yet full");
    now = 1000;
    rl.sweep();
    assert.equal(rl.size, 0);
  });
});
