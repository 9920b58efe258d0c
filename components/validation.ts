// ValidationJob: a one-shot container run at the end of `pulumi up` (after every health-gated container)
// that sends a decide request through the gateway to the real router and a durable request, polls the
// durable decision, and exits 0 (all good) or 1. Its exit code and log tail become stack outputs, so a
// broken environment is visible right in the `up` summary.
import fs from "node:fs";
import path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { labels, limitArgs } from "./common";
import type { Limits } from "./types";

export const VALIDATION_SCRIPT_PATH = "/opt/proving-ground/validate.js";

/** The smoke test's source, a real TypeScript file type-checked and linted with the rest. */
export const VALIDATION_SMOKE_SOURCE = path.join(__dirname, "validation-smoke.ts");

/**
 * The compiled script as the npm package ships it beside this file (written by the package build from
 * renderValidationScript, so the package needs no TypeScript at run time). Absent in the repository.
 */
export const VALIDATION_SCRIPT_PREBUILT = path.join(__dirname, "validation-smoke.rendered.js");

let compiled: string | undefined;

/**
 * The smoke-test script uploaded into the job's container: components/validation-smoke.ts compiled to
 * one CommonJS file for plain Node 20 (no dependencies). Reads GATEWAY_URL, TENANT, DEADLINE_MS and,
 * when the gateway requires tenant tokens, TENANT_TOKEN from the environment. Deterministic text for a
 * given TypeScript version (the upload is a container input: a change re-runs the job); the request ids
 * are made unique at run time. The npm package reads the copy its build rendered.
 */
export function renderValidationScript(): string {
  if (compiled !== undefined) return compiled;
  if (fs.existsSync(VALIDATION_SCRIPT_PREBUILT))
    return (compiled = fs.readFileSync(VALIDATION_SCRIPT_PREBUILT, "utf8"));
  // Loaded here, not at the top: only the repository compiles the source.
  const ts: typeof import("typescript") = require("typescript");
  const source = fs.readFileSync(VALIDATION_SMOKE_SOURCE, "utf8");
  // The container has the gateway image's Node and nothing else: the program may import nothing.
  const imports = ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
  if (imports.length > 0)
    throw new Error(
      `${VALIDATION_SMOKE_SOURCE} imports ${imports.join(", ")}: the smoke test must be one file`,
    );
  const out = ts.transpileModule(source, {
    fileName: "validation-smoke.ts",
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true },
  });
  if (out.diagnostics?.length)
    throw new Error(
      ts.formatDiagnostics(out.diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => __dirname,
        getNewLine: () => "\n",
      }),
    );
  compiled = `// Compiled from components/validation-smoke.ts by components/validation.ts.\n${out.outputText}`;
  return compiled;
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
  /** Stack name: the container's `proving-ground.stack` label. */
  stack: string;
  /** Prefix of the container name (`<namePrefix>-validation`), e.g. "pg-dev". */
  namePrefix: string;
  /** Docker network the gateway is on; the job joins it as `validation`. */
  network: pulumi.Input<string>;
  /** An image with Node 20 (the gateway image). */
  image: pulumi.Input<string>;
  /** Gateway base URL inside the stack network. Default "http://gateway:8080". */
  gatewayUrl?: string;
  /** Tenant the smoke requests use. Default "tenant-a". */
  tenant?: string;
  /**
   * The tenant's bearer token when the gateway requires one; a secret, passed in a secret env list.
   * Default: none (no Authorization header).
   */
  token?: pulumi.Input<string>;
  /** Overall deadline for the smoke test. Default 60000 ms. */
  deadlineMs?: number;
  /** Values (e.g. image digests) whose change re-runs the job on the next `up`. Default: none. */
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
