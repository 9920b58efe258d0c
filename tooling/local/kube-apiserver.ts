import { execFile } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";
import { ManagedProcess } from "./proc";
import { httpOk, waitFor } from "./wait";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");

export interface KubeResponse {
  status: number;
  /** The parsed JSON body (a Status object on errors), or the text when it is not JSON. */
  body: any;
  /** The `Warning` headers of the answer. */
  warnings: string[];
}

/** The folder of kube-apiserver and etcd: $KUBE_LOCAL_BIN, else `scripts/build-kube-local.sh --print-dir k8s`. */
export async function kubeLocalBin(): Promise<string> {
  const dir =
    process.env.KUBE_LOCAL_BIN ??
    (await run("bash", ["scripts/build-kube-local.sh", "--print-dir", "k8s"], { cwd: REPO })).stdout.trim();
  const missing = ["kube-apiserver", "etcd"].filter((b) => !fs.existsSync(path.join(dir, b)));
  if (!dir || missing.length)
    throw new Error(
      `no ${missing.join(" and ")} in ${dir || "(nothing built)"}: build them with \`bash scripts/build-kube-local.sh k8s && ` +
        "bash scripts/build-kube-local.sh etcd` (cached by version) or set KUBE_LOCAL_BIN to a folder holding them",
    );
  return dir;
}

/** With openssl: a CA, the serving cert (SAN 127.0.0.1), an admin client cert (system:masters), an SA key. */
async function makeCerts(dir: string): Promise<void> {
  const ossl = (args: string) => run("openssl", args.split(" "), { cwd: dir });
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  await ossl(`req -x509 ${ec} -keyout ca.key -out ca.crt -days 2 -subj /CN=pg-test-ca`);
  const leaf = async (name: string, subj: string, ext: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    await ossl(`req ${ec} -keyout ${name}.key -out ${name}.csr -subj ${subj}`);
    await ossl(
      `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -days 2 -extfile ${name}.ext -out ${name}.crt`,
    );
  };
  await leaf("apiserver", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  await leaf("admin", "/O=system:masters/CN=pg-admin", "extendedKeyUsage=clientAuth");
  await ossl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key");
  await ossl("pkey -in sa.key -pubout -out sa.pub");
}

/**
 * A real etcd and kube-apiserver on free loopback ports (no controller-manager, scheduler or kubelet:
 * objects are validated and stored, never run), TLS only, the client in system:masters.
 */
export class KubeApiServer {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-kube-apiserver-"));
  readonly kubeconfigPath = path.join(this.dir, "kubeconfig");
  url = "";
  ca = "";
  cert = "";
  key = "";
  readonly procs: ManagedProcess[] = [];
  private agent?: https.Agent;

  /** True while etcd or kube-apiserver still runs. */
  get running(): boolean {
    return this.procs.some((p) => p.running);
  }

  async start(): Promise<this> {
    try {
      const bin = await kubeLocalBin();
      await makeCerts(this.dir);
      const file = (f: string) => path.join(this.dir, f);
      const read = (f: string) => fs.readFileSync(file(f), "utf8");
      [this.ca, this.cert, this.key] = [read("ca.crt"), read("admin.crt"), read("admin.key")];
      const [etcdPort, peerPort, port] = [await freePort(), await freePort(), await freePort()];
      const [etcdUrl, peerUrl] = [`http://127.0.0.1:${etcdPort}`, `http://127.0.0.1:${peerPort}`];
      const etcd = this.spawn(bin, "etcd", [
        ...["--name", "pg", "--data-dir", file("etcd"), "--log-level", "warn", "--unsafe-no-fsync"],
        ...["--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl, "--listen-peer-urls"],
        ...[peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", `pg=${peerUrl}`],
      ]);
      await this.ready(etcd, () => httpOk(`${etcdUrl}/health`), 30000);
      this.url = `https://127.0.0.1:${port}`;
      const apiserver = this.spawn(bin, "kube-apiserver", [
        ...[`--etcd-servers=${etcdUrl}`, "--bind-address=127.0.0.1", `--secure-port=${port}`],
        ...[`--tls-cert-file=${file("apiserver.crt")}`, `--tls-private-key-file=${file("apiserver.key")}`],
        ...[`--client-ca-file=${file("ca.crt")}`, "--authorization-mode=RBAC", "--profiling=false"],
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        ...[`--service-account-key-file=${file("sa.pub")}`, "--service-cluster-ip-range=10.96.0.0/16"],
        `--service-account-signing-key-file=${file("sa.key")}`,
      ]);
      this.agent = new https.Agent({ ca: this.ca, cert: this.cert, key: this.key, keepAlive: true });
      await this.ready(apiserver, async () => (await this.request("GET", "/readyz")).status === 200, 90000);
      const cluster = { server: this.url, "certificate-authority": file("ca.crt") };
      const user = { "client-certificate": file("admin.crt"), "client-key": file("admin.key") };
      const kubeconfig = { apiVersion: "v1", kind: "Config", "current-context": "local" };
      const entries = { clusters: [{ name: "local", cluster }], users: [{ name: "admin", user }] };
      const contexts = [{ name: "local", context: { cluster: "local", user: "admin" } }];
      fs.writeFileSync(this.kubeconfigPath, JSON.stringify({ ...kubeconfig, ...entries, contexts })); // JSON is YAML
      return this;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  private spawn(bin: string, name: string, args: string[]): ManagedProcess {
    this.procs.push(new ManagedProcess(name, path.join(bin, name), args));
    return this.procs[this.procs.length - 1];
  }

  /** Waits for `ok`; fails at once when the process exits, with its output. */
  private async ready(p: ManagedProcess, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const check = async () => {
      if (!p.running) throw new Error(`exited (${p.child.exitCode ?? p.child.signalCode})`);
      return ok();
    };
    await waitFor(`${p.name} ready`, check, { timeoutMs, intervalMs: 200 }).catch((e: Error) => {
      throw new Error(`${e.message}\n${p.name} output:\n${p.output().slice(-4000)}`);
    });
  }

  /** One API request as the admin client; `body` is sent as JSON. */
  request(method: string, urlPath: string, body?: unknown): Promise<KubeResponse> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { Accept: "application/json", ...(data ? { "Content-Type": "application/json" } : {}) };
    return new Promise((resolve, reject) => {
      const req = https.request(`${this.url}${urlPath}`, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          const w = res.headers.warning;
          try {
            const json = /json/.test(res.headers["content-type"] ?? "") ? JSON.parse(text) : text;
            resolve({ status: res.statusCode ?? 0, body: json, warnings: w ? [w].flat() : [] });
          } catch {
            reject(
              new Error(`${method} ${urlPath}: ${res.statusCode} with a body that is not JSON: ${text}`),
            );
          }
        });
      });
      req.setTimeout(10000, () => req.destroy(new Error(`${method} ${urlPath}: no answer in 10 s`)));
      req.on("error", reject);
      req.end(data);
    });
  }

  /** Stops kube-apiserver, then etcd (SIGTERM, SIGKILL after 5 s), and removes the temp dir. */
  async stop(): Promise<void> {
    this.agent?.destroy();
    for (const p of [...this.procs].reverse()) await p.stop("SIGTERM", 5000);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts etcd and kube-apiserver; the caller stops them in `after`. */
export async function startKubeApiServer(): Promise<KubeApiServer> {
  return new KubeApiServer().start();
}
