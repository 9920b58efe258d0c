// A small Kubernetes API client on node's https module (no SDK): the kubeconfig reader, one request
// method that returns the parsed JSON and throws the server's Status message, the KubernetesApi the
// kubernetes chaos driver needs, and the check that a namespace is empty after `pulumi destroy`.
//
// Supported in a kubeconfig: the current (or a named) context; the cluster's server (https, or http as
// `kubectl proxy` serves it), certificate-authority (a path, relative to the kubeconfig's folder) or
// certificate-authority-data, insecure-skip-tls-verify and tls-server-name; the user's
// client-certificate/client-key (paths) or -data, token and tokenFile. Not supported, with an error that
// says so: credential plugins (exec, auth-provider), basic auth and proxy-url.
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import type { KubePod, KubernetesApi, KubeWorkload } from "./drivers/kubernetes";

/** The connection settings of one kubeconfig context. */
export interface KubeConfig {
  /** The kubeconfig file they were read from. */
  file: string;
  context: string;
  /** The API server's URL (may carry a path prefix, as behind Rancher). */
  server: string;
  ca?: Buffer;
  insecureSkipTlsVerify: boolean;
  /** The name the server's certificate must carry, when it is not the server URL's host. */
  tlsServerName?: string;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

/** The kubeconfig to read: the first path of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const first = (process.env.KUBECONFIG ?? "").split(path.delimiter).find((p) => p.trim() !== "");
  return first ?? path.join(os.homedir(), ".kube", "config");
}

/** Reads a kubeconfig (default: defaultKubeconfigPath()) and resolves `context` (default: current-context). */
export function loadKubeconfig(file: string = defaultKubeconfigPath(), context?: string): KubeConfig {
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${file}: ${what}`);
  };
  let doc: any;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(`cannot be read (set $KUBECONFIG to the file to use): ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object") fail("is empty or not a YAML mapping");
  const dir = path.dirname(path.resolve(file));
  const named = (list: string, name: string, key: string): any => {
    const entry = (Array.isArray(doc[list]) ? doc[list] : []).find((x: any) => x?.name === name);
    if (!entry) fail(`${list} has no entry named "${name}"`);
    if (!entry[key] || typeof entry[key] !== "object") fail(`${list}["${name}"] has no "${key}" mapping`);
    return entry[key];
  };
  /** The contents of `<key>-data` (base64) or of the file at `<key>` (relative to the kubeconfig). */
  const material = (where: string, obj: any, key: string): Buffer | undefined => {
    if (obj[`${key}-data`]) return Buffer.from(String(obj[`${key}-data`]), "base64");
    if (!obj[key]) return undefined;
    const p = path.resolve(dir, String(obj[key]));
    try {
      return fs.readFileSync(p);
    } catch (e) {
      return fail(`${where} "${key}": cannot read ${p}: ${(e as Error).message}`);
    }
  };

  const ctxName = context ?? doc["current-context"];
  if (!ctxName) fail('no "current-context" is set and no context was given');
  const ctx = named("contexts", ctxName, "context");
  if (!ctx.cluster) fail(`context "${ctxName}" has no "cluster"`);
  if (!ctx.user) fail(`context "${ctxName}" has no "user"`);
  const cluster = named("clusters", ctx.cluster, "cluster");
  const user = named("users", ctx.user, "user");
  const cw = `cluster "${ctx.cluster}"`;
  const uw = `user "${ctx.user}"`;
  if (!cluster.server) fail(`${cw} has no "server"`);
  if (cluster["proxy-url"]) fail(`${cw} uses "proxy-url", which this client does not support`);
  for (const k of ["exec", "auth-provider", "username"]) {
    if (user[k])
      fail(
        `${uw} authenticates with "${k}", which this client does not support (use a token or a client certificate)`,
      );
  }
  const cert = material(uw, user, "client-certificate");
  const key = material(uw, user, "client-key");
  if (cert && !key) fail(`${uw} has a client certificate but no "client-key" or "client-key-data"`);
  if (key && !cert) fail(`${uw} has a client key but no "client-certificate" or "client-certificate-data"`);
  let token: string | undefined = user.token ? String(user.token) : undefined;
  if (!token && user.tokenFile) {
    const p = path.resolve(dir, String(user.tokenFile));
    try {
      token = fs.readFileSync(p, "utf8").trim();
    } catch (e) {
      fail(`${uw} "tokenFile": cannot read ${p}: ${(e as Error).message}`);
    }
  }
  let server: URL;
  try {
    server = new URL(String(cluster.server));
  } catch {
    return fail(`${cw} "server" is not a URL: ${cluster.server}`);
  }
  if (server.protocol !== "https:" && server.protocol !== "http:")
    fail(`${cw} "server" must be an https (or http) URL: ${cluster.server}`);
  return {
    file,
    context: ctxName,
    server: String(cluster.server),
    ca: material(cw, cluster, "certificate-authority"),
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
    tlsServerName: cluster["tls-server-name"] ? String(cluster["tls-server-name"]) : undefined,
    cert,
    key,
    token,
  };
}

/** A non-2xx answer of the API server. */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** The Status object's reason (NotFound, AlreadyExists, ...), when the server sent one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export interface KubeRequestOptions {
  /** Sent as JSON unless it is a string or a Buffer. */
  body?: unknown;
  /** Default application/json when there is a body. */
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
}

export class KubeClient {
  private readonly base: URL;
  readonly timeoutMs: number;

  constructor(
    readonly config: KubeConfig,
    opts: { timeoutMs?: number } = {},
  ) {
    this.base = new URL(config.server);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** A client for a kubeconfig context (default: $KUBECONFIG's first file or ~/.kube/config, current-context). */
  static fromKubeconfig(file?: string, context?: string, opts: { timeoutMs?: number } = {}): KubeClient {
    return new KubeClient(loadKubeconfig(file, context), opts);
  }

  /**
   * One API call; `urlPath` starts with /api or /apis. Resolves to the parsed JSON (undefined for an
   * empty body); anything but 2xx rejects with a KubeApiError naming status, method, path and the
   * server's Status message. One connection per request (agent: false): a keep-alive pool misbehaved
   * against kube-proxy here.
   */
  request<T = any>(method: string, urlPath: string, opts: KubeRequestOptions = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    const shown = qs ? `${urlPath}?${qs}` : urlPath;
    const url = new URL(this.base);
    url.pathname = `${this.base.pathname.replace(/\/+$/, "")}${urlPath}`;
    url.search = qs ? `?${qs}` : "";
    const data =
      opts.body === undefined
        ? undefined
        : typeof opts.body === "string" || Buffer.isBuffer(opts.body)
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string | number> = {
      Accept: "application/json",
      "User-Agent": "proving-ground-kube-api",
    };
    if (data !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = Buffer.byteLength(data);
    }
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    const c = this.config;
    const tls: https.RequestOptions = {
      ca: c.ca,
      cert: c.cert,
      key: c.key,
      rejectUnauthorized: !c.insecureSkipTlsVerify,
      servername: c.tlsServerName,
    };
    const mod = url.protocol === "http:" ? http : https;
    const where = `${method} ${shown} on ${this.base.origin}`;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(
        url,
        { method, headers, agent: false, ...(mod === https ? tls : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (e) => done(new Error(`${where}: ${e.message}`)));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString("utf8");
            let body: any = text;
            if (/json/.test(res.headers["content-type"] ?? "") && text !== "") {
              try {
                body = JSON.parse(text);
              } catch {
                return done(
                  new Error(`${where}: ${status} with a body that is not JSON: ${text.slice(0, 500)}`),
                );
              }
            }
            if (status >= 200 && status < 300) return done(undefined, text === "" ? undefined : body);
            const message =
              body && typeof body === "object" && body.message
                ? String(body.message)
                : text.trim().slice(0, 500) || "(no body)";
            const reason = body && typeof body === "object" ? body.reason : undefined;
            done(
              new KubeApiError(
                `${method} ${shown}: ${status}${reason ? ` ${reason}` : ""}: ${message}`,
                status,
                method,
                shown,
                reason,
              ),
            );
          });
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Error(`${where}: no answer in ${this.timeoutMs / 1000} s`)),
        this.timeoutMs,
      );
      let settled = false;
      function done(e?: Error, v?: T): void {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        if (e) reject(e);
        else resolve(v as T);
      }
      req.on("error", (e) => done(e.message.startsWith(where) ? e : new Error(`${where}: ${e.message}`)));
      req.end(data);
    });
  }
}

const ns = (namespace: string) => `/namespaces/${encodeURIComponent(namespace)}`;

/** The KubernetesApi of the kubernetes chaos driver on a KubeClient. */
export function kubernetesApi(client: KubeClient): KubernetesApi {
  const list = async (prefix: string, namespace: string, plural: string, labelSelector?: string) =>
    (
      await client.request<{ items: any[] }>("GET", `${prefix}${ns(namespace)}/${plural}`, {
        query: { labelSelector },
      })
    ).items;
  return {
    listPods: async (namespace, labelSelector): Promise<KubePod[]> =>
      (await list("/api/v1", namespace, "pods", labelSelector)).map((p) => ({
        name: p.metadata.name,
        uid: p.metadata.uid,
        phase: p.status?.phase ?? "Unknown",
        deleting: !!p.metadata.deletionTimestamp,
        ready: (p.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
        ),
      })),
    deletePod: async (namespace, name, gracePeriodSeconds) => {
      const body =
        gracePeriodSeconds === undefined
          ? undefined
          : { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds };
      await client.request("DELETE", `/api/v1${ns(namespace)}/pods/${encodeURIComponent(name)}`, { body });
    },
    listWorkloads: async (namespace, labelSelector): Promise<KubeWorkload[]> => {
      const [deployments, statefulSets] = await Promise.all([
        list("/apis/apps/v1", namespace, "deployments", labelSelector),
        list("/apis/apps/v1", namespace, "statefulsets", labelSelector),
      ]);
      const of = (kind: KubeWorkload["kind"]) => (w: any) => ({
        kind,
        name: w.metadata.name as string,
        replicas: (w.spec?.replicas ?? 1) as number,
      });
      return [...deployments.map(of("Deployment")), ...statefulSets.map(of("StatefulSet"))];
    },
    scale: async (namespace, kind, name, replicas) => {
      const plural = kind === "Deployment" ? "deployments" : "statefulsets";
      await client.request(
        "PATCH",
        `/apis/apps/v1${ns(namespace)}/${plural}/${encodeURIComponent(name)}/scale`,
        {
          body: { spec: { replicas } },
          contentType: "application/merge-patch+json",
        },
      );
    },
  };
}

/**
 * The kinds namespaceLeftovers lists: [API prefix, plural, Kind]. Not listed: Endpoints/EndpointSlices
 * (the control plane's mirror of Services) and Events (expire by themselves).
 */
const LEFTOVER_KINDS: [string, string, string][] = [
  ["/api/v1", "pods", "Pod"],
  ["/api/v1", "services", "Service"],
  ["/api/v1", "configmaps", "ConfigMap"],
  ["/api/v1", "secrets", "Secret"],
  ["/api/v1", "serviceaccounts", "ServiceAccount"],
  ["/api/v1", "persistentvolumeclaims", "PersistentVolumeClaim"],
  ["/apis/apps/v1", "deployments", "Deployment"],
  ["/apis/apps/v1", "statefulsets", "StatefulSet"],
  ["/apis/apps/v1", "replicasets", "ReplicaSet"],
  ["/apis/policy/v1", "poddisruptionbudgets", "PodDisruptionBudget"],
  ["/apis/autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"],
];

/** What Kubernetes creates in every namespace by itself. */
const AUTO_CREATED = new Set(["ConfigMap/kube-root-ca.crt", "ServiceAccount/default"]);

/**
 * Whether `namespace` exists (404: it does not) and, if it does, every object still in it as
 * "Kind/name" (sorted; the kinds of LEFTOVER_KINDS, without the ConfigMap kube-root-ca.crt and the
 * ServiceAccount default that Kubernetes puts in every namespace). For proving, after `pulumi destroy`,
 * that nothing is left; a namespace still terminating exists.
 */
export async function namespaceLeftovers(
  client: KubeClient,
  namespace: string,
): Promise<{ exists: boolean; objects: string[] }> {
  try {
    await client.request("GET", `/api/v1${ns(namespace)}`);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return { exists: false, objects: [] };
    throw e;
  }
  const lists = await Promise.all(
    LEFTOVER_KINDS.map(async ([prefix, plural, kind]) =>
      (await client.request<{ items: any[] }>("GET", `${prefix}${ns(namespace)}/${plural}`)).items.map(
        (o) => `${kind}/${o.metadata.name}`,
      ),
    ),
  );
  return {
    exists: true,
    objects: lists
      .flat()
      .filter((o) => !AUTO_CREATED.has(o))
      .sort(),
  };
}

/**
 * Polls namespaceLeftovers until the namespace is gone or `timeoutMs` passed (a deleted namespace
 * terminates while its objects' finalizers run); returns the last answer.
 */
export async function waitNamespaceGone(
  client: KubeClient,
  namespace: string,
  timeoutMs = 120_000,
  pollMs = 1000,
): Promise<{ exists: boolean; objects: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await namespaceLeftovers(client, namespace);
    if (!left.exists || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
