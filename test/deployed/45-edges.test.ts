// Bad input at the edges of the deployed stack: the gateway's generated malformed requests
// (test/services/gateway-malformed.ts, the same generator the in-process suite uses) sent over HTTP to
// outputs.gatewayUrl, each answered with the contract's status and error envelope; and 1,000 generated
// malformed RouteRequests published straight to the router's NATS subject (outputs.natsHostUrls with the
// stack's NATS credentials), each answered with an error envelope naming the intake code. Afterwards the
// gateway and the routers have not restarted (Docker's RestartCount and StartedAt) and still decide.
import assert from "node:assert/strict";
import Docker from "dockerode";
import { connect, headers as natsHeaders, NatsConnection } from "nats";
import { SUBJECTS, type IntakeCode } from "../../services/common/contract";
import { seededRandom } from "../../services/common/seeded-random";
import { metricSum, scrape } from "../../tooling/prom-text";
import type { StackOutputs } from "../../stacks/outputs";
import { assertEnvelope, call } from "../services/gateway-harness";
import { malformedRequests } from "../services/gateway-malformed";
import { DEPLOY_TIMEOUT_MS, getDeployedStack, getEngineStack, outputValues } from "../support/deployed-stack";

const SEED = 20261206;

/** Status and error code the contract gives each kind of malformed request (§1, errors table). */
function expectedAnswer(kind: string): [number, string] {
  if (kind === "wrong content type" || kind === "no content type") return [415, "unsupported_media_type"];
  if (kind === "oversize body") return [413, "payload_too_large"];
  return [400, "invalid_request"];
}

interface RouterCase {
  kind: string;
  data: Uint8Array;
  headers?: Record<string, string>;
  /** The intake code the contract (§2) names for it; error.code is invalid_request for all of these. */
  code: IntakeCode;
}

/**
 * Seeded malformed RouteRequests for beamline.router.v1.decide, one mutation of a valid request each,
 * covering every caller-caused intake code but TENANT_FORBIDDEN (no allowlist in the stack) and
 * IDEMPOTENCY_VIOLATION (stateful, an E2E check of its own). Same seed → same payloads.
 */
export function malformedRoutePayloads(n: number, seed: number): RouterCase[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const enc = (s: string) => Buffer.from(s, "utf8");
  const valid = (i: number): Record<string, unknown> => ({
    version: "1",
    tenant_id: "edge-tenant",
    request_id: `edge-${seed}-${i}`,
    task: { type: "text.generate", payload: { prompt: "edge" } },
  });
  const mutate = (i: number, f: (b: Record<string, unknown>) => void) => {
    const b = valid(i);
    f(b);
    return enc(JSON.stringify(b));
  };
  const badIds = [undefined, 1, true, [], {}, "", "a b", "tab\there", "x".repeat(257), "\u0001ctl"];
  const gens: Array<(i: number) => RouterCase> = [
    (i) => ({
      kind: "too small",
      data: enc(JSON.stringify(valid(i)).slice(0, Math.floor(r() * 48))),
      code: "PAYLOAD_TOO_SMALL",
    }),
    (i) => {
      const s = JSON.stringify(valid(i));
      return {
        kind: "truncated json",
        data: enc(s.slice(0, 48 + Math.floor(r() * (s.length - 48)))),
        code: "SCHEMA_VALIDATION_FAILED",
      };
    },
    () => ({
      kind: "garbage",
      data: enc(
        `#${String.fromCharCode(...Array.from({ length: 47 + Math.floor(r() * 250) }, () => 32 + Math.floor(r() * 94)))}`,
      ),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
    (i) => {
      const s = Buffer.from(JSON.stringify({ ...valid(i), request_id: `edge-XX-${i}` }));
      const at = s.indexOf("XX");
      s[at] = pick([0xff, 0xc3, 0xe2, 0x80]);
      s[at + 1] = pick([0x28, 0xfe, 0x41]);
      return { kind: "invalid utf-8", data: s, code: "SCHEMA_VALIDATION_FAILED" };
    },
    (i) => ({
      kind: "not an object",
      data: enc(
        pick([
          JSON.stringify([valid(i)]),
          JSON.stringify("x".repeat(60)),
          "1".repeat(60),
          `null${" ".repeat(60)}`,
          `true${" ".repeat(60)}`,
        ]),
      ),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
    (i) => ({
      kind: "version missing or not a string",
      data: mutate(i, (b) => {
        const v = pick([undefined, 1, true, null, [], {}]);
        if (v === undefined) delete b.version;
        else b.version = v;
      }),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
    (i) => ({
      kind: "version unsupported",
      data: mutate(i, (b) => (b.version = pick(["2", "1.0", "", "v1", "0"]))),
      code: "VERSION_UNSUPPORTED",
    }),
    (i) => ({
      kind: "tenant_id or request_id invalid",
      data: mutate(i, (b) => {
        const field = pick(["tenant_id", "request_id"]);
        const v = pick(badIds);
        if (v === undefined) delete b[field];
        else b[field] = v;
      }),
      code: "CORRELATION_FIELDS_INVALID",
    }),
    (i) => ({
      kind: "trace_id invalid",
      data: mutate(i, (b) => (b.trace_id = pick([5, "", "a b", "x".repeat(129), []]))),
      code: "CORRELATION_FIELDS_INVALID",
    }),
    (i) => ({
      kind: "X-Tenant-ID header malformed",
      data: enc(JSON.stringify(valid(i))),
      headers: { "X-Tenant-ID": pick(["x".repeat(257 + Math.floor(r() * 100)), "two words"]) },
      code: "CORRELATION_FIELDS_INVALID",
    }),
    (i) => ({
      kind: "task wrong",
      data: mutate(
        i,
        (b) =>
          (b.task = pick([
            1,
            "x",
            [],
            { type: 5, payload: {} },
            { type: "", payload: {} },
            { type: "x" },
            { type: "x", payload: 3 },
          ])),
      ),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
    (i) => ({
      kind: "message wrong",
      data: mutate(
        i,
        (b) => (b.message = pick([1, "m", [], { message_id: 5 }, { metadata: "s" }, { message_type: [] }])),
      ),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
    (i) => ({
      kind: "policy_id, run_id or context wrong",
      data: mutate(i, (b) => {
        const [field, v] = pick([
          ["policy_id", ""],
          ["policy_id", 5],
          ["run_id", 5],
          ["run_id", {}],
          ["context", "s"],
          ["context", []],
          ["context", 1],
        ] as const);
        b[field] = v;
      }),
      code: "SCHEMA_VALIDATION_FAILED",
    }),
  ];
  return Array.from({ length: n }, (_, i) => gens[i % gens.length](i));
}

interface RestartState {
  name: string;
  restartCount: number;
  startedAt: string;
  running: boolean;
}

async function restartState(docker: Docker, names: string[]): Promise<RestartState[]> {
  return Promise.all(
    names.map(async (name) => {
      const i = await docker.getContainer(name).inspect();
      return { name, restartCount: i.RestartCount, startedAt: i.State.StartedAt, running: i.State.Running };
    }),
  );
}

function tally<T extends string>(xs: T[]): Record<string, number> {
  return xs.reduce<Record<string, number>>((a, x) => ((a[x] = (a[x] ?? 0) + 1), a), {});
}

describe("bad input at the edges of the deployed stack", function () {
  this.timeout(DEPLOY_TIMEOUT_MS);
  const docker = new Docker();
  let out: StackOutputs;
  /** Tenants with their bearer tokens when the stack requires them (else the generator's own tenant). */
  let tenants: [string, string | undefined][];

  before(async function () {
    this.timeout(DEPLOY_TIMEOUT_MS);
    await getDeployedStack();
    // The stack as it is now (40-engine may have changed it: a second router), not as first deployed.
    out = outputValues(await (await getEngineStack()).outputs());
    const tokens = out.tenantTokens ?? {};
    tenants = Object.keys(tokens).length
      ? Object.entries(tokens)
      : [["tenant-a", undefined] as [string, string | undefined]];
  });

  const authFor = (tenant: string): Record<string, string> => {
    const token = tenants.find(([t]) => t === tenant)?.[1];
    return token ? { authorization: `Bearer ${token}` } : {};
  };

  it("the gateway answers each of 1,000 generated malformed requests with the contract's status and envelope, and keeps serving", async function () {
    this.timeout(300_000);
    const gateways = out.chaosTargets.gateway!.containers!;
    const before = await restartState(docker, gateways);
    const cases = malformedRequests(1000, SEED);
    const byKind: Record<string, Record<number, number>> = {};
    const wrong: string[] = [];
    let broken = 0;
    for (let i = 0; i < cases.length; i += 50) {
      const answers = await Promise.all(
        cases.slice(i, i + 50).map(async (c, j) => {
          // Spread the generator's tenant over the stack's tenants (a per-tenant rate limit must not
          // turn the answers into 429s) and authenticate as that tenant; the cases without a valid
          // tenant header keep theirs.
          const headers = { ...c.headers };
          if (headers["x-tenant-id"] === "tenant-a") {
            const [tenant] = tenants[(i + j) % tenants.length];
            headers["x-tenant-id"] = tenant;
            Object.assign(headers, authFor(tenant));
          }
          const a = await call(`${out.gatewayUrl}${c.path}`, { method: c.method, raw: c.body, headers });
          return { a, c };
        }),
      );
      for (const { a, c } of answers) {
        (byKind[c.kind] ??= {})[a.status] = (byKind[c.kind][a.status] ?? 0) + 1;
        const [status, code] = expectedAnswer(c.kind);
        try {
          assertEnvelope(a, status, code);
        } catch (e) {
          broken++;
          if (wrong.length < 10) wrong.push(`${c.kind}: ${(e as Error).message.slice(0, 300)}`);
        }
      }
    }
    assert.deepEqual(wrong, [], `${broken} answers broke the contract; by kind ${JSON.stringify(byKind)}`);
    process.stderr.write(`      malformed HTTP requests by kind → status: ${JSON.stringify(byKind)}\n`);
    assert.ok(Object.keys(byKind).length >= 10, "the generator covered its kinds");

    const health = await call(`${out.gatewayUrl}/health`);
    assert.equal(health.status, 200);
    const [tenant] = tenants[0];
    const ok = await call(`${out.gatewayUrl}/api/v1/routes/decide`, {
      body: {
        version: "1",
        tenant_id: tenant,
        request_id: `edge-ok-${Date.now()}`,
        task: { type: "t", payload: {} },
      },
      headers: { "x-tenant-id": tenant, ...authFor(tenant) },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(await restartState(docker, gateways), before, "a gateway restarted");
  });

  it("the routers answer each of 1,000 generated malformed NATS payloads with an error envelope, without a restart, and still decide", async function () {
    this.timeout(300_000);
    const routers = out.chaosTargets.router!.containers!;
    const before = await restartState(docker, routers);
    assert.ok(
      before.every((s) => s.running),
      JSON.stringify(before),
    );
    const codes: IntakeCode[] = [
      "PAYLOAD_TOO_SMALL",
      "SCHEMA_VALIDATION_FAILED",
      "VERSION_UNSUPPORTED",
      "CORRELATION_FIELDS_INVALID",
    ];
    /** router_intake_errors_total per code, summed over every router. */
    const intakeErrors = async () => {
      const sum: Record<string, number> = Object.fromEntries(codes.map((c) => [c, 0]));
      for (const url of out.routerMetricsUrls) {
        const samples = await scrape(url);
        for (const code of codes)
          sum[code] += metricSum(samples, "router_intake_errors_total", { code }) ?? 0;
      }
      return sum;
    };
    const countsBefore = await intakeErrors();

    const nc: NatsConnection = await connect({
      servers: out.natsHostUrls,
      user: out.natsUser,
      pass: out.natsPassword,
      name: "deployed-edges-test",
      timeout: 5000,
    });
    try {
      const cases = malformedRoutePayloads(1000, SEED);
      const got: { c: RouterCase; reply?: any; error?: string }[] = [];
      for (let i = 0; i < cases.length; i += 100) {
        got.push(
          ...(await Promise.all(
            cases.slice(i, i + 100).map(async (c) => {
              let h;
              if (c.headers) {
                h = natsHeaders();
                for (const [k, v] of Object.entries(c.headers)) h.set(k, v);
              }
              try {
                const m = await nc.request(SUBJECTS.decide, c.data, { timeout: 5000, headers: h });
                return { c, reply: JSON.parse(Buffer.from(m.data).toString("utf8")) };
              } catch (e) {
                return { c, error: (e as Error).message };
              }
            }),
          )),
        );
      }
      const bad = got.filter(
        ({ c, reply }) =>
          !(
            reply?.ok === false &&
            reply.error?.code === "invalid_request" &&
            reply.error.intake_error_code === c.code &&
            typeof reply.error.message === "string" &&
            reply.error.message.length > 0 &&
            typeof reply.error.details === "object" &&
            typeof reply.context === "object"
          ),
      );
      assert.deepEqual(
        bad
          .slice(0, 10)
          .map(
            ({ c, reply, error }) =>
              `${c.kind} (want ${c.code}): ${error ?? JSON.stringify(reply).slice(0, 300)}`,
          ),
        [],
        `${bad.length} of ${got.length} payloads without the expected error envelope`,
      );
      const byCode = tally(cases.map((c) => c.code));
      process.stderr.write(`      malformed NATS payloads by intake code: ${JSON.stringify(byCode)}\n`);
      assert.deepEqual(Object.keys(byCode).sort(), [...codes].sort());

      // Each rejection was counted by the routers, by its code.
      const countsAfter = await intakeErrors();
      const delta = Object.fromEntries(Object.keys(byCode).map((k) => [k, countsAfter[k] - countsBefore[k]]));
      assert.deepEqual(delta, byCode, "router_intake_errors_total grew by exactly the rejected payloads");

      // Still deciding: over NATS and through the gateway.
      const valid = await nc.request(
        SUBJECTS.decide,
        Buffer.from(
          JSON.stringify({
            version: "1",
            tenant_id: "edge-tenant",
            request_id: `edge-valid-${Date.now()}`,
            task: { type: "text.generate", payload: { prompt: "after" } },
          }),
        ),
        { timeout: 5000 },
      );
      const decided = JSON.parse(Buffer.from(valid.data).toString("utf8"));
      assert.equal(decided.ok, true, JSON.stringify(decided));
      assert.ok(decided.decision?.provider_id, JSON.stringify(decided));
    } finally {
      await nc.close();
    }
    const [tenant] = tenants[0];
    const http = await call(`${out.gatewayUrl}/api/v1/routes/decide`, {
      body: {
        version: "1",
        tenant_id: tenant,
        request_id: `edge-http-${Date.now()}`,
        task: { type: "t", payload: {} },
      },
      headers: { "x-tenant-id": tenant, ...authFor(tenant) },
    });
    assert.equal(http.status, 200, JSON.stringify(http.body));
    const after = await restartState(docker, routers);
    assert.deepEqual(after, before, "a router restarted (RestartCount or StartedAt changed)");
    for (const name of routers) {
      const i = await docker.getContainer(name).inspect();
      assert.equal(i.State.Health?.Status, "healthy", `${name} health`);
    }
  });
});
