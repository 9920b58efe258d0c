// The link proxy for real: a Toxiproxy server (built from github.com/Shopify/toxiproxy/v2 by
// scripts/build-go-tool.sh) on a free loopback port in front of a real nats-server, with its proxy from the
// config file the component renders, and link latency added and removed through the docker driver's
// proxyLatency (the code `link-latency` runs), measured as NATS request round trips. Plus the pure parts:
// the rendered config, the toxics, the outputs check and the experiment's validation.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { connect, NatsConnection } from "nats";
import { linkLatency } from "../../chaos/experiments/network";
import { validateExperiment, type Experiment } from "../../chaos/model";
import {
  linkProxyNatsUrl,
  linkProxyRoutes,
  linkProxySpec,
  renderToxiproxyConfig,
  type LinkProxyRoute,
} from "../../components/link-proxy";
import type { StackOutputs } from "../../stacks/outputs";
import { DockerDriver } from "../../tooling/drivers/docker";
import { NatsServer, startNats } from "../../tooling/local/nats-server";
import { freePort } from "../../tooling/local/ports";
import { ToxiproxyServer } from "../../tooling/local/toxiproxy-server";
import { OutputsError, validateOutputs } from "../../tooling/outputs";
import { latencyToxics, ToxiproxyClient, ToxiproxyError } from "../../tooling/toxiproxy";

const REPO = path.resolve(__dirname, "..", "..");

/** The server binary from its Go module (cached by version; built on first use). */
function toxiproxyBin(): string {
  return (
    process.env.TOXIPROXY_SERVER_BIN ??
    execFileSync("bash", ["scripts/build-go-tool.sh", "toxiproxy-server"], {
      cwd: REPO,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 300000,
    }).trim()
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe("link proxy: the rendered Toxiproxy config and the toxics (pure)", () => {
  it("one proxy per NATS node, in order; the routers' NATS_URL through it", () => {
    const routes = linkProxyRoutes(["nats-0", "nats-1", "nats-2"]);
    assert.deepEqual(routes, [
      { name: "nats-0", listen: "0.0.0.0:4222", upstream: "nats-0:4222" },
      { name: "nats-1", listen: "0.0.0.0:4223", upstream: "nats-1:4222" },
      { name: "nats-2", listen: "0.0.0.0:4224", upstream: "nats-2:4222" },
    ]);
    assert.equal(
      linkProxyNatsUrl(routes),
      "nats://link-proxy:4222,nats://link-proxy:4223,nats://link-proxy:4224",
    );
    assert.deepEqual(JSON.parse(renderToxiproxyConfig(routes))[1], {
      name: "nats-1",
      listen: "0.0.0.0:4223",
      upstream: "nats-1:4222",
      enabled: true,
    });
    const spec = linkProxySpec({ image: "ghcr.io/shopify/toxiproxy:2.5.0", routes });
    assert.deepEqual(spec.files, [
      { path: "/etc/toxiproxy/proxies.json", content: renderToxiproxyConfig(routes) },
    ]);
    assert.deepEqual(
      spec.ports.map((p) => p.port),
      [8474, 4222, 4223, 4224],
    );
  });

  it("refuses a config Toxiproxy would only log and skip", () => {
    const r = (x: Partial<LinkProxyRoute>): LinkProxyRoute => ({
      name: "nats-0",
      listen: "0.0.0.0:4222",
      upstream: "nats-0:4222",
      ...x,
    });
    assert.throws(() => renderToxiproxyConfig([]), /no proxy/);
    assert.throws(() => renderToxiproxyConfig([r({}), r({})]), /proxy nats-0 is listed twice/);
    assert.throws(
      () => renderToxiproxyConfig([r({}), r({ name: "nats-1" })]),
      /proxy nats-1: listen port 4222 is taken/,
    );
    assert.throws(() => renderToxiproxyConfig([r({ upstream: "nats-0" })]), /upstream must be host:port/);
    assert.throws(() => renderToxiproxyConfig([r({ name: "a b" })]), /is not a plain name/);
    assert.throws(() => linkProxyRoutes([]), /no NATS node/);
  });

  it("latency on both streams of every connection, whole milliseconds", () => {
    assert.deepEqual(latencyToxics({ latencyMs: 100, jitterMs: 5.4 }), [
      {
        name: "pg-latency-downstream",
        type: "latency",
        stream: "downstream",
        toxicity: 1,
        attributes: { latency: 100, jitter: 5 },
      },
      {
        name: "pg-latency-upstream",
        type: "latency",
        stream: "upstream",
        toxicity: 1,
        attributes: { latency: 100, jitter: 5 },
      },
    ]);
    assert.throws(() => latencyToxics({ latencyMs: -1 }), /latency must be a number of ms >= 0/);
  });

  it("stack outputs: linkProxy is optional, checked when present", () => {
    const base = {
      gatewayUrl: "http://127.0.0.1:1",
      natsHostUrls: ["nats://127.0.0.1:2"],
      natsUser: "u",
      natsPassword: "p",
      natsMonitorUrls: ["http://127.0.0.1:3"],
      routerMetricsUrls: ["http://127.0.0.1:4/metrics"],
      chaosTargets: {},
    };
    assert.equal(validateOutputs(base, "o").linkProxy, undefined);
    assert.deepEqual(
      validateOutputs({ ...base, linkProxy: { apiUrl: "http://172.18.0.5:8474/", proxies: ["nats-0"] } }, "o")
        .linkProxy,
      { apiUrl: "http://172.18.0.5:8474", proxies: ["nats-0"] },
    );
    assert.throws(
      () => validateOutputs({ ...base, linkProxy: { apiUrl: "172.18.0.5:8474", proxies: [] } }, "o"),
      (e: Error) =>
        e instanceof OutputsError &&
        /"linkProxy.apiUrl" must be an http\(s\) origin/.test(e.message) &&
        /"linkProxy.proxies" must be a non-empty array of proxy names/.test(e.message),
    );
  });

  it("the experiment: latency in the proxy, always removed; a definition without the removal is refused", () => {
    assert.deepEqual(validateExperiment(linkLatency), []);
    assert.deepEqual(
      linkLatency.method.map((s) => s.action),
      [
        { kind: "proxy-latency", latency: { latencyMs: 100 } },
        { kind: "wait", ms: 8000 },
        { kind: "proxy-latency" },
      ],
    );
    assert.ok(
      linkLatency.gates.some(
        (g) => g.kind === "latency-as-latency" && g.path === "sync" && g.minAddedMs === 100,
      ),
    );
    assert.ok(linkLatency.gates.some((g) => g.kind === "zero-loss"));
    const noRollback: Experiment = { ...linkLatency, rollbacks: [] };
    assert.ok(
      validateExperiment(noRollback).some((p) => /has no proxy-latency removal rollback/.test(p)),
      validateExperiment(noRollback).join("\n"),
    );
  });
});

describe("link proxy: a real Toxiproxy in front of a real nats-server", function () {
  this.timeout(120000);
  let nats: NatsServer;
  let proxy: ToxiproxyServer;
  let listenPort: number;
  const conns: NatsConnection[] = [];

  before(async function () {
    this.timeout(400000);
    const bin = toxiproxyBin();
    nats = await startNats();
    listenPort = await freePort();
    proxy = await new ToxiproxyServer({
      bin,
      config: renderToxiproxyConfig([
        { name: "nats-0", listen: `127.0.0.1:${listenPort}`, upstream: `127.0.0.1:${nats.port}` },
      ]),
    }).start();
  });

  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await proxy?.stop();
    await nats?.stop();
  });

  const outputs = (): StackOutputs => ({
    target: "docker",
    stack: "pg-tp-test",
    gatewayUrl: "http://127.0.0.1:1",
    natsUrl: nats.url,
    natsHostUrls: [nats.url],
    natsUser: "",
    natsPassword: "",
    natsMonitorUrls: [nats.monitorUrl],
    routerMetricsUrls: [],
    chaosTargets: {},
    linkProxy: { apiUrl: proxy.apiUrl, proxies: ["nats-0"] },
  });

  it("serves the proxy of the rendered config file from the start, enabled and without toxics", async () => {
    assert.match(await proxy.client.version(), /\S/);
    const p = (await proxy.client.proxies())["nats-0"];
    assert.ok(p, `proxies: ${JSON.stringify(await proxy.client.proxies())}`);
    assert.equal(p.listen, `127.0.0.1:${listenPort}`);
    assert.equal(p.upstream, `127.0.0.1:${nats.port}`);
    assert.equal(p.enabled, true);
    assert.deepEqual(p.toxics, []);
  });

  it("creates and deletes a proxy through the client; a conflict is an error with its status", async () => {
    const port = await freePort();
    const spec = { name: "created", listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${nats.port}` };
    const made = await proxy.client.createProxy(spec);
    assert.equal(made.name, "created");
    const nc = await connect({ servers: `nats://127.0.0.1:${port}`, timeout: 2000 });
    await nc.flush();
    await nc.close();
    await assert.rejects(
      proxy.client.createProxy(spec),
      (e: Error) => e instanceof ToxiproxyError && e.status === 409,
    );
    await proxy.client.deleteProxy("created");
    assert.ok(!("created" in (await proxy.client.proxies())));
    await assert.rejects(
      new ToxiproxyClient(proxy.apiUrl).setLatency(["nats-0", "missing"], { latencyMs: 10 }),
      /has no proxy missing/,
    );
  });

  it("the driver's proxyLatency: a NATS request round trip through the proxy gains the latency (both ways) and loses it again", async () => {
    const driver = new DockerDriver(outputs());
    assert.ok((await driver.capabilities()).has("link-proxy"));
    // As in the stack: the responder (router) connects through the proxy, the requester (gateway) directly.
    const responder = await connect({ servers: `nats://127.0.0.1:${listenPort}`, name: "responder" });
    const requester = await connect({ servers: nats.url, name: "requester" });
    conns.push(responder, requester);
    responder.subscribe("pg.tp.echo", { callback: (_e, m) => m.respond(m.data) });
    await responder.flush();
    const roundTrips = async (n = 12): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await requester.request("pg.tp.echo", new TextEncoder().encode(`#${i}`), { timeout: 3000 });
        out.push(performance.now() - t0);
      }
      return out;
    };

    await roundTrips(3); // warm-up
    const before = median(await roundTrips());

    await driver.proxyLatency({ latencyMs: 100 });
    await driver.proxyLatency({ latencyMs: 100 }); // idempotent: the second call updates the toxics
    const toxics = (await proxy.client.proxies())["nats-0"].toxics;
    assert.deepEqual(toxics.map((t) => [t.name, t.stream, t.attributes.latency]).sort(), [
      ["pg-latency-downstream", "downstream", 100],
      ["pg-latency-upstream", "upstream", 100],
    ]);
    // The connection existed before the toxic: Toxiproxy slows existing links too. Request in and reply
    // out each cross the proxy once: +200 ms, and every request still succeeds.
    const slow = await roundTrips();
    const during = median(slow);
    assert.ok(
      during >= before + 180,
      `median ${during.toFixed(1)} ms with latency vs ${before.toFixed(1)} ms before`,
    );
    assert.ok(during < before + 600, `median ${during.toFixed(1)} ms: far more than the toxics add`);

    await driver.proxyLatency(undefined);
    await driver.proxyLatency(undefined); // removing what is gone is fine (rollbacks repeat it)
    assert.deepEqual((await proxy.client.proxies())["nats-0"].toxics, []);
    const after = median(await roundTrips());
    assert.ok(
      after < before + 50,
      `median ${after.toFixed(1)} ms after removal vs ${before.toFixed(1)} ms before`,
    );
    process.stderr.write(
      `      NATS request through Toxiproxy, median: ${before.toFixed(1)} ms before, ${during.toFixed(1)} ms with 100 ms each way, ${after.toFixed(1)} ms after\n`,
    );
  });

  it("a stack without a link proxy: no capability, and the driver says why it cannot", async () => {
    const driver = new DockerDriver({ ...outputs(), linkProxy: undefined });
    assert.ok(!(await driver.capabilities()).has("link-proxy"));
    await assert.rejects(driver.proxyLatency({ latencyMs: 100 }), /the stack has no link proxy/);
  });
});
