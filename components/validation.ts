// ValidationJob: a one-shot container run at the end of `pulumi up` (after every health-gated container)
// that sends a decide request through the gateway to the real router and a durable request, polls the
// durable decision, and exits 0 (all good) or 1. Its exit code and log tail become stack outputs, so a
// broken environment is visible right in the `up` summary.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { labels, limitArgs } from "./common";
import type { Limits } from "../stacks/config";

export const VALIDATION_SCRIPT_PATH = "/opt/proving-ground/validate.js";

/**
 * The smoke-test script (plain Node 20, no dependencies). Reads GATEWAY_URL, TENANT, DEADLINE_MS and,
 * when the gateway requires tenant tokens, TENANT_TOKEN (sent as `Authorization: Bearer`, never logged)
 * from the environment. Deterministic text; the request ids are made unique at run time.
 */
export function renderValidationScript(): string {
  return `"use strict";
// Smoke test rendered by components/validation.ts: decide + durable intake through the gateway.
const base = process.env.GATEWAY_URL;
const tenant = process.env.TENANT;
const auth = process.env.TENANT_TOKEN ? { authorization: "Bearer " + process.env.TENANT_TOKEN } : {};
const deadline = Date.now() + Number(process.env.DEADLINE_MS || 30000);
const run = Date.now().toString(36) + "-" + process.pid;
const log = (step, ok, detail) => console.log(JSON.stringify({ step, ok, ...detail }));
const body = (id) => ({ version: "1", tenant_id: tenant, request_id: id, task: { type: "text.generate", payload: { prompt: "smoke" } } });
async function call(method, path, payload) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", "x-tenant-id": tenant, ...auth },
    body: payload === undefined ? undefined : JSON.stringify(payload),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text: text.slice(0, 300) };
}
// The router may still be joining its queue group right after its container turned healthy: retry a
// 503 until the deadline instead of failing the whole deployment on a start-up race.
async function until(fn, accept) {
  for (;;) {
    const r = await fn().catch((e) => ({ status: 0, text: String(e) }));
    if (accept(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 500));
  }
}
(async () => {
  const decide = await until(() => call("POST", "/api/v1/routes/decide", body("smoke-decide-" + run)), (r) => r.status === 200);
  const decideOk = decide.status === 200 && decide.json && decide.json.ok === true && !!(decide.json.decision && decide.json.decision.provider_id);
  log("decide", decideOk, { status: decide.status, body: decide.text });

  const msgId = "smoke-durable-" + run;
  const accepted = await until(() => call("POST", "/api/v1/messages", { ...body(msgId), message_id: msgId }), (r) => r.status === 202);
  const acceptedOk = accepted.status === 202 && accepted.json && accepted.json.ok === true;
  log("durable-accept", acceptedOk, { status: accepted.status, body: accepted.text });

  let decidedOk = false;
  if (acceptedOk) {
    const decided = await until(() => call("GET", "/api/v1/routes/decide/" + encodeURIComponent(msgId)), (r) => r.status === 200);
    decidedOk = decided.status === 200 && decided.json && decided.json.ok === true;
    log("durable-decided", decidedOk, { status: decided.status, body: decided.text });
  }
  const ok = decideOk && acceptedOk && decidedOk;
  log("result", ok, {});
  process.exit(ok ? 0 : 1);
})().catch((e) => { log("result", false, { error: String(e) }); process.exit(1); });
`;
}

/**
 * Docker's multiplexed log stream puts an 8-byte header before each frame: stream (1 stdout, 2 stderr),
 * three zero bytes and the payload size as a 32-bit big-endian number. The docker provider hands
 * `containerLogs` over with these headers in place, each byte one character (bytes that are not valid
 * UTF-8 arrive as one U+FFFD each).
 */
// eslint-disable-next-line no-control-regex -- the framing bytes are control characters
const LOG_FRAME_HEADER = /[\x00-\x02]\x00\x00\x00[\s\S]{4}/g;

/** Log text without Docker's stream framing headers. */
export function stripLogFraming(logs: string): string {
  return logs.replace(LOG_FRAME_HEADER, "");
}

/** The last `n` non-empty lines of a log, without Docker's stream framing. */
export function logTail(logs: string | undefined, n = 20): string {
  return stripLogFraming(logs ?? "")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .slice(-n)
    .join("\n");
}

const JOB_LIMITS: Limits = { cpus: 0.5, memory: "128Mi", memoryBytes: 128 * 1024 ** 2, memoryMb: 128 };

export interface ValidationJobArgs {
  stack: string;
  namePrefix: string;
  network: pulumi.Input<string>;
  /** An image with Node 20 (the gateway image). */
  image: pulumi.Input<string>;
  /** Gateway base URL inside the stack network. Default "http://gateway:8080". */
  gatewayUrl?: string;
  /** Tenant the smoke requests use. Default "tenant-a". */
  tenant?: string;
  /** The tenant's bearer token when the gateway requires one; a secret, passed in a secret env list. */
  token?: pulumi.Input<string>;
  /** Overall deadline for the smoke test. Default 60000 ms. */
  deadlineMs?: number;
  /** Values (e.g. image digests) whose change re-runs the job on the next `up`. */
  triggers?: pulumi.Input<string>[];
  /** CPU and memory limits of the job container. Default 0.5 CPU, 128Mi. */
  limits?: Limits;
  /** Containers that must be healthy before the job runs. */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export class ValidationJob extends pulumi.ComponentResource {
  public readonly container: docker.Container;
  public readonly exitCode: pulumi.Output<number>;
  public readonly logTail: pulumi.Output<string>;

  constructor(name: string, args: ValidationJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("proving-ground:components:ValidationJob", name, {}, opts);
    const env = [
      `GATEWAY_URL=${args.gatewayUrl ?? "http://gateway:8080"}`,
      `TENANT=${args.tenant ?? "tenant-a"}`,
      `DEADLINE_MS=${args.deadlineMs ?? 60000}`,
    ];
    this.container = new docker.Container(
      `${name}-job`,
      {
        name: `${args.namePrefix}-validation`,
        image: args.image,
        command: ["node", VALIDATION_SCRIPT_PATH],
        envs:
          args.token === undefined
            ? env
            : pulumi.secret(pulumi.output(args.token).apply((t) => [...env, `TENANT_TOKEN=${t}`])),
        uploads: [{ file: VALIDATION_SCRIPT_PATH, content: renderValidationScript() }],
        networksAdvanced: [{ name: args.network, aliases: ["validation"] }],
        // The gateway image declares a HEALTHCHECK; a one-shot job has nothing to probe. Docker merges the
        // image's timings into this NONE, so the engine ignores changes here (see the resource options).
        healthcheck: { tests: ["NONE"] },
        // One shot: run to completion during `up` (attach), capture the output, never restart. mustRun
        // must be false: the provider fails a must-run container that is not running after creation,
        // and this one has exited by then; its exit code is the result, exported instead.
        attach: true,
        logs: true,
        mustRun: false,
        restart: "no",
        // Limited like every other container (the policy pack requires it): a smoke test needs little.
        ...limitArgs(args.limits ?? JOB_LIMITS),
        // A finished job has nothing to update: it runs again (is replaced) when what it validates changes.
        labels: [
          ...labels(args.stack, "validation"),
          {
            label: "proving-ground.validates",
            value: pulumi.all(args.triggers ?? []).apply((t) => t.join(",")),
          },
        ],
      },
      // healthcheck: refresh reads back NONE plus the image's interval and timeouts, which would show as
      // an update on every preview.
      { parent: this, dependsOn: args.dependsOn, deleteBeforeReplace: true, ignoreChanges: ["healthcheck"] },
    );
    this.exitCode = this.container.exitCode;
    this.logTail = this.container.containerLogs.apply((l) => logTail(l));
    this.registerOutputs({ exitCode: this.exitCode, logTail: this.logTail });
  }
}
