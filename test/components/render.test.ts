// The components' pure renderers: deterministic output (golden where the text is short), and, where the
// real program is installed on this machine, the rendered file is fed to it (nats-server, promtool,
// blackbox exporter, node) so "renders" means "the real thing accepts and runs it".
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connect } from "nats";
import YAML from "yaml";
import { renderPrometheusConfig, SCRAPE_JOBS } from "../../monitoring";
import { bashHealthcheck, limitArgs, nodeHealthcheck, wgetHealthcheck } from "../../components/common";
import { bashHttpProbe } from "../../services/common/health-probe";
import { natsClientUrl, natsConfigString, natsNodeNames, renderNatsConfig } from "../../components/nats";
import {
  renderBlackboxConfig,
  renderLokiConfig,
  renderLokiDatasource,
  renderPromtailConfig,
  scrapeTargets,
} from "../../components/observability-config";
import { replicaNames, serviceEnv } from "../../components/service";
import { logTail, renderValidationScript } from "../../components/validation";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { httpOk, waitFor } from "../../tooling/local/wait";

const run = promisify(execFile);

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pg-components-"));
}

/**
 * A loopback HTTP server for the health-check tests: /health answers `status()`, any other path 503.
 */
async function healthServer(status: () => number): Promise<{ srv: http.Server; port: number }> {
  const srv = http.createServer((req, res) => res.writeHead(req.url === "/health" ? status() : 503).end());
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { srv, port: (srv.address() as { port: number }).port };
}

describe("components/nats renderNatsConfig", () => {
  it("renders a single node without a cluster block (golden)", () => {
    assert.equal(
      renderNatsConfig({ serverName: "nats-0", nodes: ["nats-0"], clusterName: "pg-dev-nats" }),
      [
        "# Rendered by components/nats.ts for nats-0; credentials come from the environment.",
        "server_name: nats-0",
        "listen: 0.0.0.0:4222",
        "http: 0.0.0.0:8222",
        "",
        "authorization {",
        "  user: $NATS_USER",
        "  password: $NATS_PASSWORD",
        "}",
        "",
        "jetstream {",
        '  store_dir: "/data/jetstream"',
        "  max_file_store: 1G",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("routes each node of a 3-node cluster to the two others", () => {
    const nodes = natsNodeNames(3);
    assert.deepEqual(nodes, ["nats-0", "nats-1", "nats-2"]);
    const conf = renderNatsConfig({ serverName: "nats-1", nodes, clusterName: "pg-ci-nats" });
    assert.match(
      conf,
      /cluster \{\n {2}name: pg-ci-nats\n {2}listen: 0\.0\.0\.0:6222\n {2}routes: \[\n {4}nats-route:\/\/nats-0:6222\n {4}nats-route:\/\/nats-2:6222\n {2}\]\n\}\n$/,
    );
    assert.equal(conf, renderNatsConfig({ serverName: "nats-1", nodes, clusterName: "pg-ci-nats" }));
    assert.equal(natsClientUrl(3), "nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222");
  });

  it("holds no credentials itself and nats-server accepts it only with them in the environment", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "nats.conf");
    fs.writeFileSync(
      file,
      renderNatsConfig({ serverName: "nats-1", nodes: natsNodeNames(3), clusterName: "c" }),
    );
    assert.doesNotMatch(fs.readFileSync(file, "utf8"), /s3cret/);
    const ok = await run("nats-server", ["-t", "-c", file], {
      env: { ...process.env, NATS_USER: "beamline", NATS_PASSWORD: "s3cret" },
    });
    assert.match(ok.stdout + ok.stderr, /is valid/);
    await assert.rejects(
      run("nats-server", ["-t", "-c", file], { env: { PATH: process.env.PATH } }),
      /variable reference for 'NATS_USER'/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Passwords nats-server misreads from an unquoted variable: a size ("1T…"), an integer, a float
  // ("9e5…"), and one with a quote and a backslash. The first is a random 32-character one that did.
  const TRICKY = ["1T8PD5TYHarSy3vmkafZgGT8gfqwwDo2", "12345678", "9e5abcd", 'a"b\\c d'];

  it("natsConfigString quotes credentials so nats-server reads every one as a string (unquoted ones fail)", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "nats.conf");
    fs.writeFileSync(file, renderNatsConfig({ serverName: "nats-0", nodes: ["nats-0"], clusterName: "c" }));
    const test = (password: string) =>
      run("nats-server", ["-t", "-c", file], {
        env: { PATH: process.env.PATH, NATS_USER: "beamline", NATS_PASSWORD: password },
      });
    // Unquoted, "12345678" crashes the config parser of 2.9.10 and of v2.15.3 alike; 2.9.10 also refused
    // "1T8PD…", which v2.15.3 reads as a string: the quoting is for every version a stack may pin.
    await assert.rejects(test(TRICKY[1]), /interface conversion|invalid memory/);
    for (const pw of TRICKY) {
      const ok = await test(natsConfigString(pw));
      assert.match(ok.stdout + ok.stderr, /is valid/, pw);
    }
    assert.throws(() => natsConfigString("a\u0001b"), /control character U\+0001/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("runs on a real nats-server: healthy with JetStream, password required", async function () {
    this.timeout(20000);
    const dir = tmpDir();
    const [client, monitor] = [await freePort(), await freePort()];
    const file = path.join(dir, "nats.conf");
    fs.writeFileSync(
      file,
      renderNatsConfig({
        serverName: "nats-0",
        nodes: ["nats-0"],
        clusterName: "c",
        host: "127.0.0.1",
        clientPort: client,
        monitorPort: monitor,
        storeDir: path.join(dir, "js"),
      }),
    );
    // The password the CI deploy failed on, quoted as the container's environment carries it.
    const password = TRICKY[0];
    const server = new ManagedProcess("nats", "nats-server", ["--config", file], {
      env: { NATS_USER: natsConfigString("beamline"), NATS_PASSWORD: natsConfigString(password) },
    });
    try {
      // The exact URL the container health check uses.
      const health = wgetHealthcheck(`http://127.0.0.1:${monitor}/healthz?js-enabled-only=true`);
      const url = String((health.tests as string[]).at(-1));
      await waitFor("nats healthz", () => httpOk(url), { timeoutMs: 10000 });
      const nc = await connect({ servers: `127.0.0.1:${client}`, user: "beamline", pass: password });
      const info = await (await nc.jetstreamManager()).getAccountInfo();
      assert.ok(info.limits !== undefined, "JetStream answers for the authenticated user");
      await nc.close();
      await assert.rejects(
        connect({ servers: `127.0.0.1:${client}`, user: "beamline", pass: "wrong", reconnect: false }),
        /Authorization Violation/i,
      );
    } catch (e) {
      throw new Error(`${e}\nnats-server output:\n${server.output()}`);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("components/service serviceEnv", () => {
  it("gives each service its variables, extras last (golden)", () => {
    const common = { nats: { url: "nats://nats-0:4222", user: "beamline" } };
    assert.deepEqual(
      serviceEnv({ ...common, kind: "gateway", requestTimeoutMs: 2500, extraEnv: ["LOG_LEVEL=debug"] }),
      [
        "NATS_URL=nats://nats-0:4222",
        "NATS_USER=beamline",
        "GATEWAY_PORT=8080",
        "ROUTER_REQUEST_TIMEOUT_MS=2500",
        "LOG_LEVEL=debug",
      ],
    );
    assert.deepEqual(serviceEnv({ ...common, kind: "router", faultsEnabled: true, streamReplicas: 1 }), [
      "NATS_URL=nats://nats-0:4222",
      "NATS_USER=beamline",
      "ROUTER_METRICS_PORT=9091",
      "ROUTER_FAULTS_ENABLED=true",
      "ROUTER_JETSTREAM_REPLICAS=1",
    ]);
    assert.ok(
      !serviceEnv({ ...common, kind: "router", streamReplicas: 1 }).some((e) =>
        e.startsWith("NATS_PASSWORD"),
      ),
    );
    assert.deepEqual(replicaNames("gateway", 2), ["gateway-0", "gateway-1"]);
  });

  it("node health check exits 0 on a 2xx and 1 otherwise (run with real node)", async () => {
    const { srv, port } = await healthServer(() => 200);
    try {
      const check = (p: string) => {
        const [, cmd, ...args] = nodeHealthcheck(`http://127.0.0.1:${port}${p}`).tests as string[];
        return run(cmd === "node" ? process.execPath : cmd, args);
      };
      await check("/health");
      await assert.rejects(check("/down"), (e: { code?: number }) => e.code === 1);
    } finally {
      srv.close();
    }
  });
});

describe("components/common: bash health check", () => {
  it("exits 0 on a 2xx, 1 on a 503 and 1 when nothing listens (run with real bash)", async () => {
    const { srv, port } = await healthServer(() => 200);
    try {
      const check = (p: number, url: string) => {
        const [kind, cmd, ...args] = bashHealthcheck(p, url).tests as string[];
        assert.deepEqual([kind, cmd], ["CMD", "bash"]);
        return run(cmd, args);
      };
      await check(port, "/health");
      await assert.rejects(check(port, "/down"), (e: { code?: number }) => e.code === 1);
      srv.close();
      await assert.rejects(check(port, "/health"), (e: { code?: number }) => e.code === 1);
    } finally {
      srv.close();
    }
  });

  it("refuses a path that is not a plain URL path or a port that is not a number or ${NAME:-default}", () => {
    assert.throws(() => bashHealthcheck(8080, "/x' ; rm -rf /"), /health check path .*expected a URL path/);
    assert.throws(() => bashHealthcheck(8080, "health"), /expected a URL path/);
    assert.throws(() => bashHttpProbe("$(id)", "/health", 3), /health check port "\$\(id\)"/);
    assert.throws(() => bashHttpProbe(0, "/health", 3), /health check port 0/);
    assert.doesNotThrow(() => bashHttpProbe("${GATEWAY_PORT:-8080}", "/health", 3));
  });
});

describe("components/common limitArgs", () => {
  it("limits memory in MiB with no swap on top (memorySwap equals memory) and cpus as a string", () => {
    assert.deepEqual(limitArgs({ cpus: 0.5, memory: "256Mi", memoryBytes: 256 * 2 ** 20, memoryMb: 256 }), {
      cpus: "0.5",
      memory: 256,
      memorySwap: 256,
    });
    const big = limitArgs({ cpus: 2, memory: "1.5g", memoryBytes: 1.5 * 2 ** 30, memoryMb: 1536 });
    assert.equal(big.memorySwap, big.memory);
    assert.equal(big.cpus, "2");
  });
});

describe("service Dockerfiles: HEALTHCHECK", () => {
  /** The exec-form HEALTHCHECK command of a Dockerfile (JSON array after CMD). */
  function healthCmd(dockerfile: string): string[] {
    const text = fs.readFileSync(path.join(__dirname, "../..", dockerfile), "utf8").replace(/\\\n\s*/g, " ");
    const m = /^HEALTHCHECK .*?\bCMD (\[.*\])$/m.exec(text);
    assert.ok(m, `${dockerfile} has an exec-form HEALTHCHECK`);
    return JSON.parse(m[1]) as string[];
  }

  for (const [dockerfile, portVar, defaultPort] of [
    ["services/gateway/Dockerfile", "GATEWAY_PORT", 8080],
    ["services/router/Dockerfile", "ROUTER_METRICS_PORT", 9091],
  ] as const) {
    it(`${dockerfile}: runs the probe of services/common/health-probe.ts, written out`, () => {
      const want = ["bash", "-c", bashHttpProbe(`\${${portVar}:-${defaultPort}}`, "/health", 3)];
      assert.deepEqual(
        healthCmd(dockerfile),
        want,
        `${dockerfile}: the HEALTHCHECK command should be\n  CMD ${JSON.stringify(want).replaceAll('","', '", "')}`,
      );
    });

    it(`${dockerfile}: probes /health on $${portVar} with bash, 0 on 200 and 1 on 503`, async () => {
      let status = 200;
      const { srv, port } = await healthServer(() => status);
      try {
        const [cmd, ...args] = healthCmd(dockerfile);
        assert.equal(cmd, "bash");
        const env = { ...process.env, [portVar]: String(port) };
        await run(cmd, args, { env });
        status = 503;
        await assert.rejects(run(cmd, args, { env }), (e: { code?: number }) => e.code === 1);
      } finally {
        srv.close();
      }
    });
  }
});

describe("components/observability-config", () => {
  const opts = {
    gateways: ["gateway-0:8080"],
    routers: ["router-0:9091", "router-1:9091"],
    natsMonitors: ["http://nats-0:8222"],
    gatewayProbes: ["http://gateway-0:8080"],
    alertmanager: "alertmanager:9093",
    blackbox: "blackbox:9115",
  };

  it("scrapes with the job names monitoring's rules select on", () => {
    const t = scrapeTargets(opts);
    assert.deepEqual(
      t.map((j) => j.job),
      [
        SCRAPE_JOBS.prometheus,
        SCRAPE_JOBS.alertmanager,
        SCRAPE_JOBS.gateway,
        SCRAPE_JOBS.router,
        SCRAPE_JOBS.natsProbe,
        SCRAPE_JOBS.gatewayProbe,
      ],
    );
    assert.deepEqual(t.find((j) => j.job === SCRAPE_JOBS.router)?.targets, opts.routers);
    assert.deepEqual(
      t.find((j) => j.job === SCRAPE_JOBS.natsProbe),
      {
        job: SCRAPE_JOBS.natsProbe,
        targets: ["http://nats-0:8222/healthz"],
        probe: { module: "http_2xx", exporter: "blackbox:9115" },
      },
    );
    const extras = scrapeTargets({ ...opts, natsExporter: "nats-exporter:7777", cadvisor: "cadvisor:8080" });
    assert.deepEqual(
      extras.slice(-2).map((j) => j.job),
      ["nats-exporter", "cadvisor"],
    );
  });

  it("the prometheus.yml built from these targets passes promtool check config", async function () {
    this.timeout(15000);
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, "rules"));
    const file = path.join(dir, "prometheus.yml");
    fs.writeFileSync(
      file,
      renderPrometheusConfig({
        scrapeIntervalSeconds: 15,
        evaluationIntervalSeconds: 15,
        targets: scrapeTargets(opts),
        alertmanagers: ["alertmanager:9093"],
        ruleFiles: [path.join(dir, "rules", "*.yml")],
        externalLabels: { stack: "t" },
      }),
    );
    const { stdout } = await run("promtool", ["check", "config", file]);
    assert.match(stdout, /SUCCESS/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("blackbox config passes the real exporter's --config.check", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "blackbox.yml");
    fs.writeFileSync(file, renderBlackboxConfig());
    await run("prometheus-blackbox-exporter", [`--config.file=${file}`, "--config.check"]);
    fs.writeFileSync(file, renderBlackboxConfig().replace("timeout: 3s", "timeout: soon"));
    await assert.rejects(run("prometheus-blackbox-exporter", [`--config.file=${file}`, "--config.check"]));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Loki, promtail and the Loki datasource are valid YAML scoped to the stack", () => {
    const loki = YAML.parse(renderLokiConfig());
    assert.equal(loki.server.http_listen_port, 3100);
    assert.equal(loki.auth_enabled, false);
    const promtail = YAML.parse(renderPromtailConfig({ lokiUrl: "http://loki:3100", stack: "dev" }));
    assert.equal(promtail.clients[0].url, "http://loki:3100/loki/api/v1/push");
    assert.deepEqual(promtail.scrape_configs[0].docker_sd_configs[0].filters, [
      { name: "label", values: ["proving-ground.stack=dev"] },
    ]);
    const ds = YAML.parse(renderLokiDatasource("http://loki:3100"));
    assert.deepEqual(ds.datasources[0], {
      name: "Loki",
      uid: "loki",
      type: "loki",
      access: "proxy",
      url: "http://loki:3100",
    });
    assert.equal(
      renderPromtailConfig({ lokiUrl: "u", stack: "s" }),
      renderPromtailConfig({ lokiUrl: "u", stack: "s" }),
    );
  });
});

describe("components/validation renderValidationScript", () => {
  /** A stand-in gateway on loopback answering the three smoke requests as configured. */
  async function fakeGateway(decideStatus: number) {
    const seen: string[] = [];
    const auth: (string | undefined)[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers["x-tenant-id"]}`);
      auth.push(req.headers.authorization);
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (req.method === "POST" && req.url === "/api/v1/routes/decide") {
        return decideStatus === 200
          ? json(200, { ok: true, decision: { provider_id: "p1" } })
          : json(decideStatus, { ok: false, error: { code: "bad_gateway" } });
      }
      if (req.method === "POST" && req.url === "/api/v1/messages")
        return json(202, { ok: true, message_id: "m" });
      if (req.method === "GET" && req.url?.startsWith("/api/v1/routes/decide/")) {
        // Pending once, then decided: the script must poll.
        const polls = seen.filter((s) => s.startsWith("GET")).length;
        return polls < 2 ? json(202, { ok: true, status: "pending" }) : json(200, { ok: true, decision: {} });
      }
      json(404, { ok: false });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return { srv, seen, auth, url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` };
  }

  async function runScript(url: string, env: Record<string, string> = {}) {
    const dir = tmpDir();
    const file = path.join(dir, "validate.js");
    fs.writeFileSync(file, renderValidationScript());
    try {
      const r = await run(process.execPath, [file], {
        env: { PATH: process.env.PATH, GATEWAY_URL: url, TENANT: "tenant-a", DEADLINE_MS: "3000", ...env },
      });
      return { code: 0, out: r.stdout };
    } catch (e) {
      const err = e as { code: number; stdout: string };
      return { code: err.code, out: err.stdout };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("is components/validation-smoke.ts compiled to one standalone CommonJS file", () => {
    const js = renderValidationScript();
    assert.match(js, /^\/\/ Compiled from components\/validation-smoke\.ts/);
    assert.ok(!/\brequire\(|\bimport\b/.test(js), "the uploaded script loads nothing");
    assert.ok(!/: (string|number|boolean|Reply)\b/.test(js), "no type annotation is left");
  });

  it("exits 0 when decide, durable accept and the stored decision all succeed", async function () {
    this.timeout(15000);
    const gw = await fakeGateway(200);
    try {
      const r = await runScript(gw.url);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /"step":"result","ok":true/);
      assert.ok(
        gw.seen.some((s) => s === "POST /api/v1/routes/decide tenant-a"),
        gw.seen.join("\n"),
      );
      assert.ok(gw.seen.filter((s) => s.startsWith("GET /api/v1/routes/decide/smoke-durable-")).length >= 2);
    } finally {
      gw.srv.close();
    }
  });

  it("sends TENANT_TOKEN as a bearer token on every request, and never prints it", async function () {
    this.timeout(15000);
    const gw = await fakeGateway(200);
    try {
      const token = "smoke-token-0123456789abcdef";
      const r = await runScript(gw.url, { TENANT_TOKEN: token });
      assert.equal(r.code, 0, r.out);
      assert.ok(gw.auth.length >= 3 && gw.auth.every((a) => a === `Bearer ${token}`), gw.auth.join());
      assert.ok(!r.out.includes(token), "the token is in the job's log");
      const open = await runScript(gw.url);
      assert.equal(open.code, 0, open.out);
      assert.ok(
        gw.auth.slice(-3).every((a) => a === undefined),
        "no Authorization without a token",
      );
    } finally {
      gw.srv.close();
    }
  });

  it("exits 1 and says which step failed when the router path is broken", async function () {
    this.timeout(15000);
    const gw = await fakeGateway(502);
    try {
      const r = await runScript(gw.url);
      assert.equal(r.code, 1, r.out);
      assert.match(r.out, /"step":"decide","ok":false,"status":502/);
    } finally {
      gw.srv.close();
    }
  });

  it("logTail keeps the last non-empty lines", () => {
    assert.equal(logTail("a\n\nb\nc\n\n", 2), "b\nc");
    assert.equal(logTail(undefined), "");
  });
});
