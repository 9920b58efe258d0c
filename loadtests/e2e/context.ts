// What every E2E check gets: the stack's outputs and the public ways into it: HTTP to the gateway, a
// NATS client connection (user/password from the outputs) and the stack's driver (tooling/drivers) for
// restarts. Nothing here reaches into a service's internals, so the suite runs against any
// contract-compatible images.
import crypto from "node:crypto";
import { connect, createInbox, headers as natsHeaders, JSONCodec, NatsConnection, Msg } from "nats";
import { Agent, request } from "undici";
import type { FaultSpec } from "../../services/common/contract";
import { SUBJECTS } from "../../services/common/contract";
import type { StackOutputs } from "../../stacks/outputs";
import type { ChaosDriver } from "../../tooling/drivers/types";
import { openDriver } from "../../tooling/drivers/index";
import { metricSum, metricsUrl, scrape, Sample } from "../../tooling/prom-text";
import { GATEWAY_ROUTES } from "../../services/common/service-contract";

/** A check cannot run because the stack lacks something it needs; reported as a failure, never a skip. */
export class MissingCapability extends Error {
  name = "MissingCapability";
}

export interface HttpCall {
  method?: string;
  path: string;
  /** Sets X-Tenant-ID (and Authorization when a token for the tenant is known). */
  tenant?: string;
  headers?: Record<string, string>;
  /** Serialized as JSON with Content-Type application/json unless `raw` is given. */
  json?: unknown;
  raw?: string | Buffer;
  timeoutMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
  ms: number;
}

export interface E2EOptions {
  /** The gateway's router request timeout (ROUTER_REQUEST_TIMEOUT_MS; contract default 5000). */
  gatewayTimeoutMs?: number;
  /** Bearer tokens per tenant when the gateway requires them (GATEWAY_TENANT_TOKENS). */
  tenantTokens?: Record<string, string>;
  /** The gateway's in-flight bound (GATEWAY_MAX_INFLIGHT; default 1024). */
  gatewayMaxInflight?: number;
  /** Tenants the suite may use (they must have tokens when tokens are required). */
  tenants?: string[];
  log?: (line: string) => void;
}

export const DEFAULT_E2E_TENANTS = Array.from({ length: 12 }, (_, i) => `e2e-tenant-${i}`);

const jc = JSONCodec();

export class E2EContext {
  readonly gatewayTimeoutMs: number;
  readonly maxInflight: number;
  readonly tenants: string[];
  readonly agent = new Agent({ connections: 2048, keepAliveTimeout: 10000, pipelining: 1 });
  private ncP?: Promise<NatsConnection>;
  private driverV?: Promise<ChaosDriver>;
  readonly log: (line: string) => void;
  /** Notes the running check attaches to its result (e.g. which configuration mode it verified). */
  pendingNotes: string[] = [];

  note(text: string): void {
    this.pendingNotes.push(text);
    this.log(text);
  }

  constructor(
    readonly outputs: StackOutputs,
    readonly opts: E2EOptions = {},
  ) {
    this.gatewayTimeoutMs = opts.gatewayTimeoutMs ?? 5000;
    this.maxInflight = opts.gatewayMaxInflight ?? 1024;
    this.tenants = opts.tenants ?? DEFAULT_E2E_TENANTS;
    this.log = opts.log ?? (() => undefined);
  }

  /** A tenant from the allowed list (index wraps). */
  tenant(i: number): string {
    return this.tenants[i % this.tenants.length];
  }

  uid(prefix = "r"): string {
    return `${prefix}-${crypto.randomBytes(6).toString("hex")}`;
  }

  /** A valid decide body for `tenant`. */
  body(tenant: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      version: "1",
      tenant_id: tenant,
      request_id: this.uid("req"),
      task: { type: "text.generate", payload: { prompt: "hello" } },
      ...extra,
    };
  }

  authHeaders(tenant: string | undefined): Record<string, string> {
    const t = tenant !== undefined ? this.opts.tenantTokens?.[tenant] : undefined;
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  async http(c: HttpCall): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (c.tenant !== undefined) {
      headers["x-tenant-id"] = c.tenant;
      Object.assign(headers, this.authHeaders(c.tenant));
    }
    let body: string | Buffer | undefined = c.raw;
    if (c.json !== undefined) {
      body = JSON.stringify(c.json);
      headers["content-type"] = "application/json";
    }
    Object.assign(headers, c.headers);
    const t0 = performance.now();
    const res = await request(`${this.outputs.gatewayUrl}${c.path}`, {
      method: (c.method ?? (body !== undefined ? "POST" : "GET")) as "GET",
      headers,
      body,
      dispatcher: this.agent,
      headersTimeout: c.timeoutMs ?? this.gatewayTimeoutMs + 10000,
      bodyTimeout: c.timeoutMs ?? this.gatewayTimeoutMs + 10000,
    });
    const text = await res.body.text();
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined) h[k] = Array.isArray(v) ? v.join(", ") : v;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: h, text, json, ms: performance.now() - t0 };
  }

  decide(tenant: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    return this.http({ path: GATEWAY_ROUTES.decide, tenant, json: this.body(tenant, extra), headers });
  }

  /** The test's own NATS connection (reconnects forever, like the services). */
  nats(): Promise<NatsConnection> {
    this.ncP ??= connect({
      servers: this.outputs.natsHostUrls,
      user: this.outputs.natsUser,
      pass: this.outputs.natsPassword,
      name: "beamline-validation",
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
      waitOnFirstConnect: true,
      timeout: 5000,
    });
    return this.ncP;
  }

  /** The chaos driver for the stack's chaosTargets (docker, process, kubernetes, ssm), opened once. */
  driver(): Promise<ChaosDriver> {
    this.driverV ??= openDriver(this.outputs).catch((e: Error) => {
      this.driverV = undefined;
      throw new MissingCapability(`no chaos driver for this stack: ${e.message}`);
    });
    return this.driverV;
  }

  /**
   * Sends a FaultSpec to every router. Routers acknowledge on the reply subject; no answer means fault
   * injection is not enabled (ROUTER_FAULTS_ENABLED) or not implemented by these images.
   */
  async fault(spec: FaultSpec): Promise<void> {
    const nc = await this.nats();
    const routers = Math.max(1, this.outputs.routerMetricsUrls.length);
    const replies: Msg[] = [];
    // Right after a NATS restart this client may still be reconnecting: retry for a few seconds
    // (the command is idempotent) before concluding that nobody handles it.
    for (let attempt = 0; attempt < 5 && replies.length === 0; attempt++) {
      await nc.flush().catch(() => undefined);
      const inbox = createInbox();
      const sub = nc.subscribe(inbox, { max: routers });
      const got = (async () => {
        for await (const m of sub) replies.push(m);
      })();
      nc.publish(SUBJECTS.faults, jc.encode(spec), { reply: inbox });
      const timer = setTimeout(() => sub.unsubscribe(), 2000);
      await got;
      clearTimeout(timer);
    }
    if (replies.length === 0) {
      throw new MissingCapability(
        `fault injection unavailable: no router acknowledged on ${SUBJECTS.faults} (is ROUTER_FAULTS_ENABLED=true?)`,
      );
    }
    for (const r of replies) {
      let b: any;
      try {
        b = jc.decode(r.data);
      } catch {
        b = undefined;
      }
      if (b && b.ok === false && b.error?.code === "faults_disabled") {
        throw new MissingCapability(
          `fault injection is disabled on the router: ${b.error.message ?? ""} (set ROUTER_FAULTS_ENABLED=true)`,
        );
      }
      if (b && b.ok === false) {
        throw new Error(`router rejected fault ${JSON.stringify(spec)}: ${JSON.stringify(b.error ?? b)}`);
      }
    }
  }

  async clearFaults(): Promise<void> {
    await this.fault({ clear: true });
  }

  /** Request to the router over NATS directly (public subject), with optional headers. */
  async natsRequest(
    subject: string,
    payload: unknown,
    hdrs?: Record<string, string>,
    timeoutMs = 5000,
  ): Promise<any> {
    const nc = await this.nats();
    const h = natsHeaders();
    for (const [k, v] of Object.entries(hdrs ?? {})) h.set(k, v);
    const data = typeof payload === "string" ? new TextEncoder().encode(payload) : jc.encode(payload);
    const m = await nc.request(subject, data, { timeout: timeoutMs, headers: hdrs ? h : undefined });
    return jc.decode(m.data);
  }

  async gatewayMetrics(): Promise<Sample[]> {
    return scrape(`${this.outputs.gatewayUrl}/metrics`);
  }

  async gatewayMetric(name: string, match: Record<string, string> = {}): Promise<number | undefined> {
    return metricSum(await this.gatewayMetrics(), name, match);
  }

  /**
   * Each router's `router_nats_connection_status` (1 connected, 0 not); `undefined` for a router that
   * does not export the gauge (a team's own image); NaN while its metrics endpoint does not answer.
   */
  async routerNatsStatus(): Promise<(number | undefined)[]> {
    return Promise.all(
      this.outputs.routerMetricsUrls.map((u) =>
        scrape(metricsUrl(u))
          .then((s) => metricSum(s, "router_nats_connection_status"))
          .catch(() => NaN),
      ),
    );
  }

  async gatewaySummary(): Promise<any> {
    return (await this.http({ path: "/_metrics" })).json;
  }

  /** Client connections NATS reports on every monitoring endpoint (/connz). */
  /**
   * NATS clients connected to the stack's servers (/connz), by name. Only connections that sent CONNECT
   * count: a TCP probe (the blackbox exporter's tcp_connect, a healthcheck) is accepted by the server
   * and listed without `lang` until it hangs up, and is not a client holding a connection.
   */
  /**
   * Client connections of every NATS node (/connz): `names` one entry per connection, `clients` one
   * entry per connection as name@address (a client process is its name and address).
   */
  async natsConnections(): Promise<{ total: number; names: string[]; clients: string[]; probes: number }> {
    const names: string[] = [];
    const clients: string[] = [];
    let probes = 0;
    for (const u of this.outputs.natsMonitorUrls) {
      const res = await fetch(`${u.replace(/\/$/, "")}/connz?limit=1024`, {
        signal: AbortSignal.timeout(3000),
      });
      const b = (await res.json()) as { connections?: { name?: string; lang?: string; ip?: string }[] };
      for (const c of b.connections ?? []) {
        if (!c.lang) {
          probes++;
          continue;
        }
        names.push(c.name || "(unnamed)");
        clients.push(`${c.name || "(unnamed)"}@${c.ip ?? "?"}`);
      }
    }
    names.sort();
    clients.sort();
    return { total: names.length, names, clients, probes };
  }

  async close(): Promise<void> {
    if (this.ncP) {
      const nc = await this.ncP.catch(() => undefined);
      await nc?.close().catch(() => undefined);
    }
    const d = (await this.driverV?.catch(() => undefined)) as { close?: () => Promise<void> } | undefined;
    await d?.close?.().catch(() => undefined);
    await this.agent.close().catch(() => undefined);
  }
}

/** Assertion helper: throws with `what` and the observed value. */
export function expect(cond: unknown, what: string, observed?: unknown): asserts cond {
  if (!cond) {
    const o =
      observed === undefined
        ? ""
        : `; observed ${typeof observed === "string" ? observed : JSON.stringify(observed)?.slice(0, 600)}`;
    throw new Error(`${what}${o}`);
  }
}

/** Polls until a condition holds (the shared helper; re-exported so checks import one module). */
export { waitFor } from "../../tooling/local/wait";
