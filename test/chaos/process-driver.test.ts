// The process driver against a real loopback stack (loadtests/local-stack.ts): nats-server, two routers
// and a gateway as local processes, faults by signal, restarts from the stack's own command lines.
import assert from "node:assert/strict";
import { ProcessDriver, processState } from "../../tooling/drivers/process";
import { createDriver } from "../../tooling/drivers";
import { LocalStack, startLocalStack } from "../../loadtests/local-stack";
import { httpOk, waitFor } from "../../tooling/local/wait";

describe("process chaos driver (local stack)", function () {
  this.timeout(90000);
  let stack: LocalStack;
  let driver: ProcessDriver;

  before(async () => {
    stack = await startLocalStack({ routers: 2 });
    driver = createDriver(stack.outputs) as ProcessDriver;
  });
  after(async () => {
    await driver?.close();
    await stack?.stop();
  });

  it("is picked by createDriver and sees every role's instances", async () => {
    assert.equal(driver.name, "process");
    assert.equal(driver.count("router"), 2);
    assert.deepEqual(await driver.running("router"), [true, true]);
    assert.deepEqual(await driver.running("nats"), [true]);
    await assert.rejects(driver.kill({ role: "router", index: 2 }), /index 2 is out of range/);
    assert.deepEqual([...(await driver.capabilities())], []);
  });

  it("SIGKILLs one router and starts it again from its command (new pid in the outputs)", async () => {
    const old = driver.pid("router", 1);
    await driver.kill({ role: "router", index: 1 });
    assert.equal(processState(old), "gone");
    assert.deepEqual(await driver.running("router"), [true, false]);
    await driver.start({ role: "router", index: 1 });
    const pid = stack.outputs.chaosTargets.router!.pids![1];
    assert.notEqual(pid, old);
    assert.deepEqual(await driver.running("router"), [true, true]);
    await waitFor("restarted router metrics", () => httpOk(`${stack.outputs.routerMetricsUrls[1]}/metrics`), {
      timeoutMs: 15000,
    });
  });

  it("pauses (SIGSTOP) and unpauses the gateway", async () => {
    await driver.pause({ role: "gateway", index: 0 });
    assert.deepEqual(await driver.running("gateway"), [false]);
    assert.equal(await httpOk(`${stack.outputs.gatewayUrl}/health`), false);
    await driver.unpause({ role: "gateway", index: 0 });
    assert.deepEqual(await driver.running("gateway"), [true]);
    await waitFor("gateway health", () => httpOk(`${stack.outputs.gatewayUrl}/health`));
  });

  it("restarts the gateway gracefully and it serves again", async () => {
    const old = driver.pid("gateway", 0);
    await driver.restart({ role: "gateway", index: 0 });
    assert.notEqual(driver.pid("gateway", 0), old);
    await waitFor("gateway ready after restart", () => httpOk(`${stack.outputs.gatewayUrl}/ready`), {
      timeoutMs: 15000,
    });
  });

  it("kills and restarts nats on the same port and store; the gateway becomes ready again", async () => {
    await driver.kill({ role: "nats", index: 0 });
    assert.deepEqual(await driver.running("nats"), [false]);
    await waitFor(
      "gateway not ready without nats",
      async () => !(await httpOk(`${stack.outputs.gatewayUrl}/ready`)),
      { timeoutMs: 15000 },
    );
    await driver.start({ role: "nats" });
    await waitFor("gateway ready with nats back", () => httpOk(`${stack.outputs.gatewayUrl}/ready`), {
      timeoutMs: 15000,
    });
  });
});
