// The real deployment: index.ts with the `ci` stack config, deployed onto dockerd by the real Pulumi engine
// (test/support/deployed-stack.ts). Checks what the engine reported, that a preview right after `up` has
// nothing to do, the live containers against the stack outputs, traffic through the gateway and that
// Prometheus scrapes every target. The stack stays up for the later deployed suites; 99-destroy removes
// it. The last test proves that the stack label (what the leftover checks select on) covers every object
// the outputs name.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import YAML from "yaml";
import type { StackOutputs } from "../../stacks/outputs";
import { STACK_LABEL } from "../../components/common";
import { plannedOperations, REPO_ROOT } from "../../scripts/engine";
import {
  DEPLOY_TIMEOUT_MS,
  DEPLOYED_STACK,
  DeployReport,
  getDeployReport,
  getDeployedStack,
  getEngineStack,
} from "../support/deployed-stack";
import { listStackObjects } from "../../scripts/stack-objects";
import { httpOk, waitFor } from "../../tooling/local/wait";

const TENANT = "tenant-deploy-test";
// Roles whose ports may be published on the host (the gateway and the UIs), per issue 3.
const PUBLISHED_ROLES = new Set(["gateway", "prometheus", "alertmanager", "grafana"]);

/** X-Tenant-ID, and the tenant's bearer token when the stack requires tokens (its tenantTokens output). */
function tenantHeaders(out: StackOutputs): Record<string, string> {
  const token = out.tenantTokens?.[TENANT];
  return { "x-tenant-id": TENANT, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

function postJson(out: StackOutputs, url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...tenantHeaders(out) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
}

function routeRequest(requestId: string, extra: Record<string, unknown> = {}) {
  return {
    version: "1",
    tenant_id: TENANT,
    request_id: requestId,
    task: { type: "text.generate", payload: { prompt: "hello from 00-deploy" } },
    ...extra,
  };
}

describe("deployed ci stack: deploy onto dockerd", function () {
  const docker = new Docker();
  let out: StackOutputs;
  let live: Map<string, Docker.ContainerInspectInfo>;
  let report: DeployReport;
  const roleOf = new Map<string, string>();

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS);
    out = await getDeployedStack();
    report = await getDeployReport();
    process.stderr.write(
      `      deploy of stack ${DEPLOYED_STACK}: ${report.resources} resources in ${report.seconds}s\n`,
    );
    const listed = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${STACK_LABEL}=${DEPLOYED_STACK}`] }),
    });
    live = new Map();
    for (const c of listed) {
      const info = await docker.getContainer(c.Id).inspect();
      live.set(info.Name.replace(/^\//, ""), info);
    }
    for (const [role, t] of Object.entries(out.chaosTargets)) {
      for (const name of t?.containers ?? []) roleOf.set(name, role);
    }
  });

  it("created every resource with the engine, without warnings", () => {
    assert.ok(report.resources >= 20, `only ${report.resources} resources created:\n${report.log}`);
    // Finding 5 of the engine issue: an undefined export (grafanaUrl with Grafana off) and the policy
    // package's missing main each printed a warning on every run.
    for (const noise of [/warning:/i, /DEP0128/, /Undefined value/, /consider explicitly setting/]) {
      assert.doesNotMatch(report.log, noise);
    }
  });

  it("a preview right after `up` has nothing to do (--expect-no-changes)", async function () {
    this.timeout(300_000);
    const stack = await getEngineStack();
    const events: EngineEvent[] = [];
    const preview = await stack.preview({
      expectNoChanges: true,
      color: "never",
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual([...plannedOperations(events)], []);
    assert.deepEqual(Object.keys(preview.changeSummary).sort(), ["same"]);
  });

  it("still has nothing to do after a refresh reads every container back (memorySwap, health checks)", async function () {
    this.timeout(300_000);
    const stack = await getEngineStack();
    const refresh = await stack.refresh({ color: "never" });
    assert.deepEqual(Object.keys(refresh.summary.resourceChanges ?? {}).sort(), ["same"]);
    const events: EngineEvent[] = [];
    await stack.preview({ expectNoChanges: true, color: "never", onEvent: (e) => events.push(e) });
    assert.deepEqual([...plannedOperations(events)], []);
  });

  it("left Pulumi.<stack>.yaml as it was (its encryptionsalt matches the passphrase)", () => {
    const now = fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${DEPLOYED_STACK}.yaml`), "utf8");
    assert.equal(now, report.stackFileBefore);
  });

  it("exports the validation job's log without Docker's stream framing", () => {
    const tail = out.validation?.logTail ?? "";
    assert.ok(tail.includes('"step":"result"'), tail);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(tail, /[\x00-\x08\x0e-\x1f\ufffd]/, JSON.stringify(tail.slice(0, 200)));
    for (const line of tail.split("\n")) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it("exports every StackOutputs key for the docker target", () => {
    assert.equal(out.target, "docker");
    assert.equal(out.stack, DEPLOYED_STACK);
    for (const k of ["gatewayUrl", "natsUrl", "natsUser", "natsPassword"] as const) {
      assert.ok(typeof out[k] === "string" && out[k].length > 0, `${k} is empty`);
    }
    assert.ok(out.natsHostUrls.length >= 1 && out.natsMonitorUrls.length === out.natsHostUrls.length);
    assert.ok(out.routerMetricsUrls.length >= 1);
    for (const role of ["nats", "router", "gateway", "prometheus", "alertmanager", "blackbox"]) {
      const t = out.chaosTargets[role as keyof StackOutputs["chaosTargets"]];
      assert.equal(t?.driver, "docker", `chaosTargets.${role}`);
      assert.ok((t?.containers ?? []).length >= 1, `chaosTargets.${role} has no containers`);
    }
  });

  it("runs exactly the containers the outputs name, each running and healthy (the validation job exited)", () => {
    assert.deepEqual([...live.keys()].sort(), [...roleOf.keys()].sort());
    for (const [name, info] of live) {
      if (roleOf.get(name) === "validation") continue;
      assert.equal(info.State.Running, true, `${name} is ${info.State.Status}`);
      assert.ok(info.Config.Healthcheck?.Test?.length, `${name} has no health check`);
      assert.equal(info.State.Health?.Status, "healthy", `${name} health`);
    }
  });

  it("attaches containers to the output networks and creates the output volumes", async () => {
    for (const [role, t] of Object.entries(out.chaosTargets)) {
      for (const net of t?.networks ?? []) {
        const n = await docker.getNetwork(net).inspect();
        assert.equal(n.Labels?.[STACK_LABEL], DEPLOYED_STACK, `network ${net}`);
        for (const c of t?.containers ?? []) {
          assert.ok(live.get(c)?.NetworkSettings.Networks[net], `${role} container ${c} is not on ${net}`);
        }
      }
      for (const vol of t?.volumes ?? []) {
        await docker.getVolume(vol).inspect();
        const users = (t?.containers ?? []).filter((c) => live.get(c)?.Mounts.some((m) => m.Name === vol));
        assert.equal(users.length, 1, `volume ${vol} should be mounted by one ${role} container`);
      }
    }
    assert.ok(
      (out.chaosTargets.nats?.volumes ?? []).length >= 1,
      "NATS JetStream volumes are not in the outputs",
    );
  });

  it("publishes ports only for the gateway and the UIs, only on the configured bindAddress; never NATS", async () => {
    // The configured address (Pulumi.yaml's default unless the stack file sets one).
    const stack = await getEngineStack();
    const configured = (await stack.getAllConfig())["proving-ground:bindAddress"]?.value;
    const project = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
    const bindAddress = configured ?? project.config.bindAddress.default;
    assert.match(bindAddress, /^\d+\.\d+\.\d+\.\d+$/);
    // Every port the Docker API lists as published for any container of the stack, as it is bound now
    // (NetworkSettings.Ports) and as it was requested (HostConfig.PortBindings).
    const listed = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${STACK_LABEL}=${DEPLOYED_STACK}`] }),
    });
    const seen: string[] = [];
    for (const c of listed) {
      const name = c.Names[0].replace(/^\//, "");
      const role = roleOf.get(name) ?? "?";
      const info = live.get(name)!;
      const bound = Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([port, bs]) =>
        (bs ?? []).map((b) => ({ port, ip: b.HostIp, hostPort: b.HostPort })),
      );
      const requested = Object.entries(info.HostConfig.PortBindings ?? {}).flatMap(([port, bs]) =>
        ((bs ?? []) as { HostIp: string; HostPort: string }[]).map((b) => ({
          port,
          ip: b.HostIp,
          hostPort: b.HostPort,
        })),
      );
      const fromList = (c.Ports ?? [])
        .filter((p) => p.PublicPort !== undefined)
        .map((p) => ({ port: `${p.PrivatePort}/${p.Type}`, ip: p.IP ?? "", hostPort: String(p.PublicPort) }));
      for (const p of [...bound, ...requested, ...fromList]) {
        seen.push(`${name} ${p.port} -> ${p.ip}:${p.hostPort}`);
        assert.ok(
          PUBLISHED_ROLES.has(role),
          `${name} (${role}) publishes ${p.port} on ${p.ip}:${p.hostPort}`,
        );
        assert.equal(
          p.ip,
          bindAddress,
          `${name} publishes ${p.port} on ${p.ip || "every address"}, not ${bindAddress}`,
        );
        assert.ok(
          !["4222/tcp", "6222/tcp", "8222/tcp"].includes(p.port),
          `${name} publishes the NATS port ${p.port}`,
        );
      }
    }
    const gw = out.chaosTargets.gateway!.containers!;
    assert.ok(
      gw.every((g) => seen.some((s) => s.startsWith(`${g} 8080/tcp -> ${bindAddress}:`))),
      `the gateway is published on ${bindAddress}: ${seen.join("; ")}`,
    );
    for (const n of out.chaosTargets.nats!.containers!) {
      assert.ok(!seen.some((s) => s.startsWith(`${n} `)), `${n} publishes ports: ${seen.join("; ")}`);
    }
  });

  it("serves /health on gatewayUrl and NATS /healthz on every monitor URL", async () => {
    const res = await fetch(`${out.gatewayUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, "healthy");
    for (const url of out.natsMonitorUrls) assert.ok(await httpOk(`${url}/healthz`), `${url}/healthz`);
    for (const url of out.routerMetricsUrls) assert.ok(await httpOk(url), url);
  });

  it("ran the ValidationJob to exit code 0", async () => {
    assert.equal(out.validation?.exitCode, 0, `validation log tail:\n${out.validation?.logTail}`);
    const job = out.chaosTargets.validation?.containers?.[0];
    assert.ok(job, "the validation job container is not in chaosTargets.validation");
    assert.equal(live.get(job)?.State.ExitCode, 0);
  });

  it("answers a decide request through the gateway and the router", async function () {
    this.timeout(30_000);
    const res = await postJson(
      out,
      `${out.gatewayUrl}/api/v1/routes/decide`,
      routeRequest(crypto.randomUUID()),
    );
    const body = (await res.json()) as { ok: boolean; decision?: { provider_id: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.ok, true);
    assert.ok(body.decision?.provider_id, JSON.stringify(body));
  });

  it("accepts a durable request and the decision becomes retrievable", async function () {
    this.timeout(60_000);
    const messageId = `deploy-${crypto.randomUUID()}`;
    const res = await postJson(
      out,
      `${out.gatewayUrl}/api/v1/messages`,
      routeRequest(crypto.randomUUID(), { message_id: messageId }),
    );
    const body = (await res.json()) as { ok: boolean; message_id: string; duplicate: boolean };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.message_id, messageId);
    assert.equal(body.duplicate, false);
    const decided = await waitFor(
      `decision for ${messageId}`,
      async () => {
        const r = await fetch(`${out.gatewayUrl}/api/v1/routes/decide/${messageId}`, {
          headers: tenantHeaders(out),
        });
        return r.status === 200 ? ((await r.json()) as { ok: boolean }) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(decided.ok, true);
  });

  it("has Prometheus scraping every target with health up", async function () {
    this.timeout(120_000);
    assert.ok(out.prometheusUrl, "prometheusUrl missing");
    type Target = { labels: { job: string; instance: string }; health: string; lastError: string };
    let last: Target[] = [];
    try {
      await waitFor(
        "every Prometheus target up",
        async () => {
          const r = await fetch(`${out.prometheusUrl}/api/v1/targets?state=active`);
          last = ((await r.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
          return last.length > 0 && last.every((t) => t.health === "up");
        },
        { timeoutMs: 100_000, intervalMs: 1000 },
      );
    } catch (e) {
      const down = last
        .filter((t) => t.health !== "up")
        .map((t) => `${t.labels.job} ${t.labels.instance}: ${t.health} ${t.lastError}`);
      throw new Error(`${(e as Error).message}\n${down.join("\n")}`);
    }
    const jobs = new Set(last.map((t) => t.labels.job));
    assert.ok(jobs.size >= 3, `only jobs ${[...jobs].join(", ")}`);
    const am = await fetch(`${out.alertmanagerUrl}/-/healthy`);
    assert.equal(am.status, 200);
  });

  it("labels every container, network and volume in the outputs, so the leftover check sees them all", async () => {
    // The leftover checks after `destroy` (99-destroy, the global teardown) select by the stack label.
    const selected = await listStackObjects(DEPLOYED_STACK, docker);
    const named = Object.values(out.chaosTargets);
    for (const c of named.flatMap((t) => t?.containers ?? [])) assert.ok(selected.containers.includes(c), c);
    for (const n of named.flatMap((t) => t?.networks ?? [])) assert.ok(selected.networks.includes(n), n);
    for (const v of named.flatMap((t) => t?.volumes ?? [])) assert.ok(selected.volumes.includes(v), v);
  });
});
