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
import { parseProcCgroup } from "../../../services/common/cgroup-cpu";
import { SUBJECTS } from "../../../services/common/contract";
import { NatsServer } from "../../../tooling/local/nats-server";
import { freePort } from "../../../tooling/local/ports";
import { ManagedProcess } from "../../../tooling/local/proc";
import { httpOk, waitFor } from "../../../tooling/local/wait";
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

  private async controlConnection(): Promise<NatsConnection> {
    this.control ??= await connect({ servers: this.nats.url });
    return this.control;
  }

  /** Sends a fault command to the router (ROUTER_FAULTS_ENABLED) and checks it was accepted. */
  async fault(spec: Record<string, unknown>): Promise<void> {
    const nc = await this.controlConnection();
    const jc = JSONCodec<{ ok: boolean }>();
    const reply = await nc.request(SUBJECTS.faults, jc.encode(spec as never), { timeout: 3000 });
    const body = jc.decode(reply.data);
    if (!body.ok) throw new Error(`fault command refused: ${JSON.stringify(body)}`);
  }

  /**
   * Closed-loop decide requests straight to the routers over NATS (no gateway hop, so the CPU goes to
   * the router), each with a new request_id (an idempotency record per decide, the costly path), until
   * the returned function is called.
   */
  decideLoad(concurrency: number): () => Promise<void> {
    let running = true;
    const loops = Array.from({ length: concurrency }, async (_, worker) => {
      const nc = await this.controlConnection();
      for (let n = 0; running; n++) {
        const body = {
          version: "1",
          tenant_id: "tenant-a",
          request_id: `load-${worker}-${n}-${Date.now()}`,
          message: {},
        };
        try {
          await nc.request(SUBJECTS.decide, JSON.stringify(body), { timeout: 3000 });
        } catch {
          // A timeout under a tight quota is part of the fault; the loop goes on.
        }
      }
    });
    return async () => {
      running = false;
      await Promise.all(loops);
    };
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

const CGROUP_FS = "/sys/fs/cgroup";

/**
 * A real CPU quota as a fault: a new cgroup with a CFS quota, and a process moved into it (all its
 * threads: cgroup.procs). cgroup v1 uses the `cpu` hierarchy; v2 the unified one, at its root (the root
 * is exempt from the no-processes-in-inner-cgroups rule, and needs `cpu` in its subtree_control). Needs
 * root and a writable cgroup filesystem; the live test runs as root in CI, so a failure here is thrown
 * with what was attempted, never skipped.
 */
export class CpuQuotaCgroup {
  private moved = false;

  private constructor(
    readonly version: 1 | 2,
    readonly dir: string,
    private readonly pid: number,
    private readonly periodUs: number,
    /** The cgroup the process came from; remove() moves it back there. */
    private readonly home: string,
  ) {}

  static create(pid: number, quotaUs: number, periodUs = 100000): CpuQuotaCgroup {
    const v1 = ["cpu", "cpu,cpuacct"]
      .map((m) => path.join(CGROUP_FS, m))
      .find((m) => fs.existsSync(path.join(m, "cpu.cfs_quota_us")));
    const v2 = !v1 && fs.existsSync(path.join(CGROUP_FS, "cgroup.controllers"));
    if (!v1 && !v2)
      throw new Error(
        `no cgroup CPU controller under ${CGROUP_FS}: neither v1 (cpu/cpu.cfs_quota_us) nor v2 (cgroup.controllers)`,
      );
    const version = v1 ? 1 : 2;
    const mount = v1 ?? CGROUP_FS;
    const own = parseProcCgroup(fs.readFileSync(`/proc/${pid}/cgroup`, "utf8")).find(
      (c) => c.version === version,
    );
    // In a container the path named by /proc is the host's; the mount is then the process's own cgroup.
    const home =
      own && fs.existsSync(path.join(mount, own.path, "cgroup.procs")) ? path.join(mount, own.path) : mount;
    const g = new CpuQuotaCgroup(
      version,
      path.join(mount, `proving-ground-live-${process.pid}`),
      pid,
      periodUs,
      home,
    );
    try {
      fs.mkdirSync(g.dir);
      if (version === 2) {
        const control = path.join(mount, "cgroup.subtree_control");
        if (!fs.readFileSync(control, "utf8").split(/\s+/).includes("cpu")) fs.writeFileSync(control, "+cpu");
      }
      g.setQuota(quotaUs);
      fs.writeFileSync(path.join(g.dir, "cgroup.procs"), String(pid));
      g.moved = true;
    } catch (e) {
      const why = (e as Error).message;
      void g.remove().catch(() => undefined);
      throw new Error(
        `cannot put pid ${pid} under a CPU quota of ${quotaUs}/${periodUs} µs in ${g.dir} (cgroup v${version}; ` +
          `this needs root and a writable cgroup filesystem): ${why}`,
      );
    }
    return g;
  }

  /** Sets the quota per period (µs); null lifts it (v1 -1, v2 max). */
  setQuota(quotaUs: number | null): void {
    if (this.version === 1) {
      fs.writeFileSync(path.join(this.dir, "cpu.cfs_period_us"), String(this.periodUs));
      fs.writeFileSync(path.join(this.dir, "cpu.cfs_quota_us"), String(quotaUs ?? -1));
    } else {
      fs.writeFileSync(path.join(this.dir, "cpu.max"), `${quotaUs ?? "max"} ${this.periodUs}`);
    }
  }

  /** Moves the process back to its own cgroup (if it still runs) and removes this one. */
  async remove(): Promise<void> {
    if (this.moved) {
      try {
        fs.writeFileSync(path.join(this.home, "cgroup.procs"), String(this.pid));
      } catch (e) {
        // ESRCH: the process has exited, which empties the cgroup as well.
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
      this.moved = false;
    }
    // rmdir answers EBUSY while an exiting process is still being detached from the cgroup.
    await waitFor(
      `rmdir ${this.dir}`,
      () => {
        try {
          fs.rmdirSync(this.dir);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
          throw e;
        }
      },
      { timeoutMs: 5000, intervalMs: 100 },
    );
  }
}
