// A small client of Toxiproxy's REST API (github.com/Shopify/toxiproxy/v2, v2.5.0): what the docker
// driver's link latency and the tests need, nothing more. Toxiproxy is the link proxy between the routers
// and NATS (components/link-proxy.ts); a latency toxic on a proxy delays the bytes of every connection
// through it, existing ones included, in the direction of its stream ("downstream": upstream server →
// client, "upstream": client → server).
//
//   GET    /version                      the server's version (plain text)
//   GET    /proxies                      {name: proxy}
//   POST   /proxies                      {name, listen, upstream, enabled} → 201, 409 when it exists
//   POST   /proxies/{p}/toxics           {name, type, stream, toxicity, attributes} → 200, 409 when it exists
//   POST   /proxies/{p}/toxics/{t}       update a toxic's attributes/toxicity
//   DELETE /proxies/{p}/toxics/{t}       → 204, 404 when it does not exist

export interface ToxiproxyProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

export type ToxicStream = "upstream" | "downstream";

export interface Toxic {
  name: string;
  type: string;
  stream: ToxicStream;
  /** Share of connections the toxic applies to (1 = all). */
  toxicity: number;
  attributes: Record<string, number>;
}

/** Latency added to a link, in each direction. */
export interface LinkLatency {
  latencyMs: number;
  /** ± random variation per chunk of data. Default 0. */
  jitterMs?: number;
}

export class ToxiproxyError extends Error {
  name = "ToxiproxyError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Name of the latency toxic this client adds on `stream` (one per direction, so both can be removed). */
export function latencyToxicName(stream: ToxicStream): string {
  return `pg-latency-${stream}`;
}

/** The two latency toxics (both streams, every connection) for `latency` (pure). */
export function latencyToxics(latency: LinkLatency): Toxic[] {
  if (!(Number.isFinite(latency.latencyMs) && latency.latencyMs >= 0))
    throw new ToxiproxyError(`latency must be a number of ms >= 0, got ${latency.latencyMs}`);
  const jitter = latency.jitterMs ?? 0;
  if (!(Number.isFinite(jitter) && jitter >= 0))
    throw new ToxiproxyError(`jitter must be a number of ms >= 0, got ${latency.jitterMs}`);
  return (["downstream", "upstream"] as const).map((stream) => ({
    name: latencyToxicName(stream),
    type: "latency",
    stream,
    toxicity: 1,
    attributes: { latency: Math.round(latency.latencyMs), jitter: Math.round(jitter) },
  }));
}

export class ToxiproxyClient {
  readonly apiUrl: string;

  constructor(
    apiUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    this.apiUrl = apiUrl.replace(/\/$/, "");
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new ToxiproxyError(`toxiproxy ${method} ${this.apiUrl}${path}: ${(e as Error).message}`);
    }
  }

  private async expect(res: Response, what: string, ok: number[]): Promise<string> {
    const text = await res.text();
    if (!ok.includes(res.status))
      throw new ToxiproxyError(
        `toxiproxy: ${what} answered ${res.status} ${text.trim().slice(0, 300)}`,
        res.status,
      );
    return text;
  }

  /** The server's version string (GET /version): answers once the API listens. */
  async version(): Promise<string> {
    return (await this.expect(await this.request("GET", "/version"), "GET /version", [200])).trim();
  }

  async proxies(): Promise<Record<string, ToxiproxyProxy>> {
    return JSON.parse(await this.expect(await this.request("GET", "/proxies"), "GET /proxies", [200]));
  }

  async createProxy(p: {
    name: string;
    listen: string;
    upstream: string;
    enabled?: boolean;
  }): Promise<ToxiproxyProxy> {
    const res = await this.request("POST", "/proxies", { enabled: true, ...p });
    return JSON.parse(await this.expect(res, `create proxy ${p.name}`, [200, 201]));
  }

  async deleteProxy(name: string): Promise<void> {
    const res = await this.request("DELETE", `/proxies/${encodeURIComponent(name)}`);
    await this.expect(res, `delete proxy ${name}`, [204, 404]);
  }

  /** Adds the toxic, or updates it when one of that name is already there (idempotent). */
  async putToxic(proxy: string, t: Toxic): Promise<void> {
    const base = `/proxies/${encodeURIComponent(proxy)}/toxics`;
    const res = await this.request("POST", base, t);
    if (res.status === 409) {
      await res.arrayBuffer();
      const upd = await this.request("POST", `${base}/${encodeURIComponent(t.name)}`, {
        attributes: t.attributes,
        toxicity: t.toxicity,
      });
      await this.expect(upd, `update toxic ${t.name} of ${proxy}`, [200]);
      return;
    }
    await this.expect(res, `add toxic ${t.name} to ${proxy}`, [200, 201]);
  }

  /** Removes the toxic; one that is not there is fine (idempotent). */
  async removeToxic(proxy: string, toxic: string): Promise<void> {
    const res = await this.request(
      "DELETE",
      `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`,
    );
    await this.expect(res, `remove toxic ${toxic} of ${proxy}`, [204, 404]);
  }

  /**
   * Latency on both streams of every listed proxy; `undefined` removes it. Every proxy must exist (a
   * missing one is an error: the stack's declared links would not all be slowed).
   */
  async setLatency(proxies: string[], latency: LinkLatency | undefined): Promise<void> {
    if (proxies.length === 0) throw new ToxiproxyError("toxiproxy: no proxy to change");
    if (latency === undefined) {
      for (const p of proxies)
        for (const s of ["downstream", "upstream"] as const) await this.removeToxic(p, latencyToxicName(s));
      return;
    }
    const toxics = latencyToxics(latency);
    const known = await this.proxies();
    const missing = proxies.filter((p) => !known[p]);
    if (missing.length)
      throw new ToxiproxyError(
        `toxiproxy at ${this.apiUrl} has no proxy ${missing.join(", ")} (has ${Object.keys(known).join(", ") || "none"})`,
      );
    for (const p of proxies) for (const t of toxics) await this.putToxic(p, t);
  }
}
