// Reads a stack's outputs (the StackOutputs shape from stacks/outputs.ts) for every command line
// (`npm run validate`, `npm run chaos`, `npm run prove`), with one set of rules: from
// `pulumi stack output --json --show-secrets --stack X` or from a JSON file, so nobody copies URLs by
// hand. Every problem is reported with the key or the command that failed and what was expected.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import type { StackOutputs } from "../stacks/outputs";
import { HTTP_ROUTES } from "../services/common/service-contract";

export class OutputsError extends Error {
  name = "OutputsError";
}

const REQUIRED: { key: keyof StackOutputs; kind: "string" | "string[]" | "object" }[] = [
  { key: "gatewayUrl", kind: "string" },
  { key: "natsHostUrls", kind: "string[]" },
  { key: "natsUser", kind: "string" },
  { key: "natsPassword", kind: "string" },
  { key: "natsMonitorUrls", kind: "string[]" },
  { key: "routerMetricsUrls", kind: "string[]" },
  { key: "chaosTargets", kind: "object" },
];

/** Checks the keys validation relies on; throws one error listing every missing or malformed key. */
export function validateOutputs(raw: unknown, source: string): StackOutputs {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new OutputsError(`${source}: stack outputs must be a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const { key, kind } of REQUIRED) {
    const v = o[key];
    if (v === undefined) problems.push(`missing key "${key}" (${kind})`);
    else if (kind === "string" && typeof v !== "string") problems.push(`"${key}" must be a string`);
    else if (
      kind === "string[]" &&
      !(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"))
    )
      problems.push(`"${key}" must be a non-empty array of strings`);
    else if (kind === "object" && (typeof v !== "object" || v === null || Array.isArray(v)))
      problems.push(`"${key}" must be an object`);
  }
  if (
    o.tenantTokens !== undefined &&
    (typeof o.tenantTokens !== "object" ||
      o.tenantTokens === null ||
      Array.isArray(o.tenantTokens) ||
      !Object.values(o.tenantTokens).every((t) => typeof t === "string" && t.length > 0))
  ) {
    // Never echo the value: it holds bearer tokens.
    problems.push(`"tenantTokens" must be an object of tenant → token strings`);
  }
  if (o.linkProxy !== undefined) {
    const lp = o.linkProxy as Record<string, unknown> | null;
    if (typeof lp !== "object" || lp === null || Array.isArray(lp)) {
      problems.push(`"linkProxy" must be an object {apiUrl, proxies}`);
    } else {
      if (typeof lp.apiUrl !== "string" || !/^https?:\/\/[^/\s]+\/?$/.test(lp.apiUrl))
        problems.push(
          `"linkProxy.apiUrl" must be an http(s) origin like http://172.18.0.5:8474, got ${JSON.stringify(lp.apiUrl)}`,
        );
      if (
        !Array.isArray(lp.proxies) ||
        lp.proxies.length === 0 ||
        !lp.proxies.every((p) => typeof p === "string" && /^[A-Za-z0-9_.-]+$/.test(p))
      )
        problems.push(`"linkProxy.proxies" must be a non-empty array of proxy names`);
    }
  }
  if (typeof o.gatewayUrl === "string" && !/^https?:\/\/[^/\s]+\/?$/.test(o.gatewayUrl)) {
    problems.push(
      `"gatewayUrl" must be an http(s) origin like http://127.0.0.1:8080, got ${JSON.stringify(o.gatewayUrl)}`,
    );
  }
  if (problems.length) throw new OutputsError(`${source}: ${problems.join("; ")}`);
  const out = o as unknown as StackOutputs;
  out.gatewayUrl = out.gatewayUrl.replace(/\/$/, "");
  if (out.linkProxy) out.linkProxy.apiUrl = out.linkProxy.apiUrl.replace(/\/$/, "");
  out.target ??= "docker";
  out.stack ??= "unknown";
  return out;
}

export function readOutputsFile(file: string): StackOutputs {
  if (!fs.existsSync(file)) {
    throw new OutputsError(
      `outputs file ${file} does not exist (write it with \`pulumi stack output --json --show-secrets > ${file}\`)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new OutputsError(`outputs file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return validateOutputs(raw, file);
}

/** Runs the Pulumi CLI (same local backend as scripts/pulumi.sh when PULUMI_BACKEND_URL is unset). */
export function readPulumiOutputs(stack: string, cwd = process.cwd()): StackOutputs {
  const env = { ...process.env };
  if (!env.PULUMI_BACKEND_URL && fs.existsSync(`${cwd}/.pulumi-state`))
    env.PULUMI_BACKEND_URL = `file://${cwd}/.pulumi-state`;
  env.PULUMI_CONFIG_PASSPHRASE ??= "";
  let text: string;
  try {
    text = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60000,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") {
      throw new OutputsError(
        "the Pulumi CLI is not installed; pass --outputs <file.json> instead of --stack",
      );
    }
    const why = (err.stderr ?? err.message).trim().split("\n").slice(-3).join(" ");
    throw new OutputsError(
      `\`pulumi stack output --stack ${stack}\` failed (is the stack deployed? run \`npm run up\`): ${why}`,
    );
  }
  return validateOutputs(JSON.parse(text), `stack ${stack}`);
}

/** Fails with a clear message unless the gateway answers /health 200 and /ready 200. */
export async function assertGatewayHealthy(o: StackOutputs, timeoutMs = 5000): Promise<void> {
  for (const p of [HTTP_ROUTES.health, HTTP_ROUTES.ready]) {
    let status: number;
    let body = "";
    try {
      const res = await fetch(`${o.gatewayUrl}${p}`, { signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      body = await res.text();
    } catch (e) {
      throw new OutputsError(`gateway ${o.gatewayUrl}${p} is not reachable: ${(e as Error).message}`);
    }
    if (status !== 200) {
      throw new OutputsError(`gateway is not healthy: GET ${p} answered ${status} ${body.slice(0, 300)}`);
    }
  }
}
