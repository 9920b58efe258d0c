// A real monitoring stack on loopback for the live tests: nats-server, the router and gateway as child
// processes (their real entry points, run through tsx so no stale dist/ bundle is tested), the Debian
// blackbox exporter, Alertmanager and Prometheus (configured by this project's renderers, test profile:
// 1 s scrape/evaluation, `for:` capped, SLO windows compressed ×1/60), a webhook sink and a traffic loop.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { connect, JSONCodec, NatsConnection } from "nats";
import {
  RuleOptions,
  SCRAPE_JOBS,
  BLACKBOX_MODULES,
  renderAlertmanagerConfig,
  renderBlackboxConfig,
  renderPrometheusConfig,
  renderRuleFiles,
} from "../../../monitoring";
import { SUBJECTS } from "../../../services/common/contract";
import { NatsServer } from "../../support/nats-server";
import { freePort } from "../../support/ports";
import { ManagedProcess } from "../../support/proc";
import { httpOk, waitFor } from "../../support/wait";
import { tempDir, writeFiles } from "./tools";

const ROOT = path.join(__dirname, "../../..");

/** Rule profile of the live tests. */
export const LIVE_RULE_OPTIONS: Partial<RuleOptions> = { maxForSeconds: 3, windowScale: 1 / 60 };

export interface WebhookEvent {
  at: number;
  receiver: string;
  status: "firing" | "resolved";
  alerts: { status: "firing" | "resolved"; labels: Record<string, string> }[];
}

export interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing";
  activeAt: string;
}

/** Collects Alertmanager webhook notifications. */
class WebhookSink {
  readonly events: WebhookEvent[] = [];
  private server?: http.Server;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as Omit<WebhookEvent, "at">;
          this.events.push({
            at: Date.now(),
            receiver: body.receiver,
            status: body.status,
            alerts: body.alerts,
          });
        } catch {
          // A malformed notification would be an Alertmanager bug; the assertions then time out.
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", r));
  }

  url(receiver: string): string {
    return `http://127.0.0.1:${this.port}/${receiver}`;
  }

  /** First notification at or after `since` carrying an alert that matches `labels` with `status`. */
  find(
    labels: Record<string, string>,
    status: "firing" | "resolved",
    since: number,
  ): WebhookEvent | undefined {
    return this.events.find(
      (e) =>
        e.at >= since &&
        e.alerts.some(
          (a) => a.status === status && Object.entries(labels).every(([k, v]) => a.labels[k] === v),
        ),
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Decide and intake requests in a loop, with a switchable stream of invalid requests. */
class Traffic {
  private running = false;
  private loops: Promise<void>[] = [];
  invalid = false;
  readonly statuses = new Map<number, number>();
  private seq = 0;

  constructor(private readonly base: () => string) {}

  start(concurrency = 2): void {
    this.running = true;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop(i));
  }

  private async loop(worker: number): Promise<void> {
    while (this.running) {
      const n = this.seq++;
      const durable = n % 10 === 0;
      const body = this.invalid
        ? '{"version":"1","tenant_id":"t"' // truncated JSON → 400 invalid_request
        : JSON.stringify({
            version: "1",
            tenant_id: "tenant-a",
            request_id: `live-${worker}-${n}`,
            task: { type: "text.generate", payload: { prompt: "hi" } },
            ...(durable ? { message_id: `m-${Date.now()}-${n}` } : {}),
          });
      const url = `${this.base()}${durable && !this.invalid ? "/api/v1/messages" : "/api/v1/routes/decide"}`;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-tenant-id": "tenant-a" },
          body,
          signal: AbortSignal.timeout(3000),
        });
        await res.arrayBuffer();
        this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
      } catch {
        this.statuses.set(0, (this.statuses.get(0) ?? 0) + 1);
      }
      // ~40 requests/s per worker: enough for rates over compressed windows, light on 2 shared cores.
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

export class LiveEnv {
  readonly tmp = tempDir("live");
  readonly nats = new NatsServer();
  readonly webhook = new WebhookSink();
  readonly traffic = new Traffic(() => `http://127.0.0.1:${this.gatewayPort}`);
  router?: ManagedProcess;
  gateway?: ManagedProcess;
  private blackbox?: ManagedProcess;
  private alertmanager?: ManagedProcess;
  private prometheus?: ManagedProcess;
  private control?: NatsConnection;
  gatewayPort = 0;
  routerPort = 0;
  blackboxPort = 0;
  alertmanagerPort = 0;
  prometheusPort = 0;

  get promUrl(): string {
    return `http://127.0.0.1:${this.prometheusPort}`;
  }

  async start(): Promise<void> {
    await this.nats.start();
    [this.gatewayPort, this.routerPort, this.blackboxPort, this.alertmanagerPort, this.prometheusPort] =
      await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    await this.startRouter();
    await this.startGateway();
    await this.webhook.start();
    this.traffic.start();

    const dir = this.tmp.dir;
    fs.writeFileSync(path.join(dir, "blackbox.yml"), renderBlackboxConfig());
    this.blackbox = await this.spawnReady(
      "blackbox",
      "prometheus-blackbox-exporter",
      [`--config.file=${dir}/blackbox.yml`, `--web.listen-address=127.0.0.1:${this.blackboxPort}`],
      `http://127.0.0.1:${this.blackboxPort}/metrics`,
    );

    fs.writeFileSync(
      path.join(dir, "alertmanager.yml"),
      renderAlertmanagerConfig({
        webhookUrl: this.webhook.url("all"),
        pageWebhookUrl: this.webhook.url("page"),
        watchdogWebhookUrl: this.webhook.url("watchdog"),
        timing: { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" },
      }),
    );
    this.alertmanager = await this.spawnReady(
      "alertmanager",
      "prometheus-alertmanager",
      [
        `--config.file=${dir}/alertmanager.yml`,
        `--storage.path=${dir}/am-data`,
        `--web.listen-address=127.0.0.1:${this.alertmanagerPort}`,
        "--cluster.listen-address=",
      ],
      `http://127.0.0.1:${this.alertmanagerPort}/-/ready`,
    );

    writeFiles(path.join(dir, "rules"), renderRuleFiles(LIVE_RULE_OPTIONS));
    const loop = (p: number) => `127.0.0.1:${p}`;
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      renderPrometheusConfig({
        scrapeIntervalSeconds: 1,
        evaluationIntervalSeconds: 1,
        alertmanagers: [loop(this.alertmanagerPort)],
        ruleFiles: ["rules/*.rules.yml"],
        externalLabels: { stack: "live-test" },
        targets: [
          { job: SCRAPE_JOBS.gateway, targets: [loop(this.gatewayPort)] },
          { job: SCRAPE_JOBS.router, targets: [loop(this.routerPort)] },
          { job: SCRAPE_JOBS.prometheus, targets: [loop(this.prometheusPort)] },
          { job: SCRAPE_JOBS.alertmanager, targets: [loop(this.alertmanagerPort)] },
          {
            job: SCRAPE_JOBS.natsProbe,
            targets: [loop(this.nats.port)],
            probe: { module: BLACKBOX_MODULES.tcp, exporter: loop(this.blackboxPort) },
          },
          {
            job: SCRAPE_JOBS.gatewayProbe,
            targets: [`http://${loop(this.gatewayPort)}/health`],
            probe: { module: BLACKBOX_MODULES.http, exporter: loop(this.blackboxPort) },
          },
        ],
      }),
    );
    this.prometheus = await this.spawnReady(
      "prometheus",
      "prometheus",
      [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/prom-data`,
        `--web.listen-address=${loop(this.prometheusPort)}`,
        "--rules.alert.resend-delay=1s",
        "--log.level=warn",
      ],
      `${this.promUrl}/-/ready`,
    );
    await waitFor(
      "every scrape target up",
      async () => {
        const r = await this.query("up");
        return r.length === 6 && r.every((s) => s.value[1] === "1");
      },
      { timeoutMs: 30000, intervalMs: 200 },
    );
  }

  private async spawnReady(
    name: string,
    cmd: string,
    args: string[],
    readyUrl: string,
  ): Promise<ManagedProcess> {
    const p = new ManagedProcess(name, cmd, args, { cwd: this.tmp.dir });
    try {
      await waitFor(`${name} ready`, async () => p.running && httpOk(readyUrl), {
        timeoutMs: 20000,
        intervalMs: 100,
      });
    } catch (e) {
      await p.stop("SIGKILL", 1000);
      throw new Error(`${(e as Error).message}\n${name} output:\n${p.output()}`);
    }
    return p;
  }

  private service(name: "router" | "gateway", env: Record<string, string>): ManagedProcess {
    return new ManagedProcess(
      name,
      process.execPath,
      ["--require", "tsx/cjs", `services/${name}/src/main.ts`],
      {
        cwd: ROOT,
        env: { NATS_URL: this.nats.url, LOG_LEVEL: "error", NATS_RECONNECT_WAIT_MS: "100", ...env },
      },
    );
  }

  async startRouter(): Promise<void> {
    const p = this.service("router", {
      ROUTER_METRICS_HOST: "127.0.0.1",
      ROUTER_METRICS_PORT: String(this.routerPort),
      ROUTER_FAULTS_ENABLED: "true",
      ROUTER_BREAKER_FAILURE_THRESHOLD: "3",
      ROUTER_BREAKER_OPEN_MS: "3000",
      ROUTER_BACKPRESSURE_INTERVAL_MS: "200",
    });
    this.router = p;
    await waitFor(
      "router ready",
      async () => p.running && httpOk(`http://127.0.0.1:${this.routerPort}/ready`),
      {
        timeoutMs: 30000,
        intervalMs: 100,
      },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nrouter output:\n${p.output()}`);
    });
  }

  async startGateway(): Promise<void> {
    const p = this.service("gateway", { GATEWAY_HOST: "127.0.0.1", GATEWAY_PORT: String(this.gatewayPort) });
    this.gateway = p;
    await waitFor(
      "gateway ready",
      async () => p.running && httpOk(`http://127.0.0.1:${this.gatewayPort}/ready`),
      {
        timeoutMs: 30000,
        intervalMs: 100,
      },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\ngateway output:\n${p.output()}`);
    });
  }

  /** Sends a fault command to the router (ROUTER_FAULTS_ENABLED) and checks it was accepted. */
  async fault(spec: Record<string, unknown>): Promise<void> {
    this.control ??= await connect({ servers: this.nats.url });
    const jc = JSONCodec<{ ok: boolean }>();
    const reply = await this.control.request(SUBJECTS.faults, jc.encode(spec as never), { timeout: 3000 });
    const body = jc.decode(reply.data);
    if (!body.ok) throw new Error(`fault command refused: ${JSON.stringify(body)}`);
  }

  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const res = await fetch(`${this.promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: any[] } };
    if (body.status !== "success") throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data.result;
  }

  async alerts(): Promise<PromAlert[]> {
    const res = await fetch(`${this.promUrl}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
  }

  async stop(): Promise<void> {
    await this.traffic.stop();
    await this.control?.close().catch(() => undefined);
    for (const p of [this.prometheus, this.alertmanager, this.blackbox, this.gateway, this.router])
      await p?.stop("SIGTERM", 3000);
    await this.webhook.stop();
    await this.nats.stop();
    this.tmp.cleanup();
  }
}
