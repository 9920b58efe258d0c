// The smoke test of the ValidationJob (components/validation.ts), run with plain Node 20 in a container on
// the gateway image at the end of `pulumi up`: a decide request through the gateway to the real router, a
// durable request, then a poll for its decision. One JSON log line per step, exit 0 when all passed and 1
// otherwise. No imports: components/validation.ts compiles this file to one JavaScript file
// (renderValidationScript) and uploads it into the job's container.
// Environment: GATEWAY_URL, TENANT, DEADLINE_MS and, when the gateway requires tenant tokens, TENANT_TOKEN
// (sent as `Authorization: Bearer`, never logged). Request ids are made unique per run.
export {};

interface Reply {
  status: number;
  json?: { ok?: unknown; decision?: { provider_id?: unknown } };
  text: string;
}

const base = process.env.GATEWAY_URL;
const tenant = process.env.TENANT;
const auth: Record<string, string> = process.env.TENANT_TOKEN
  ? { authorization: "Bearer " + process.env.TENANT_TOKEN }
  : {};
const deadline = Date.now() + Number(process.env.DEADLINE_MS || 30000);
const run = Date.now().toString(36) + "-" + process.pid;

function log(step: string, ok: boolean, detail: Record<string, unknown>): void {
  console.log(JSON.stringify({ step, ok, ...detail }));
}

function body(id: string) {
  return {
    version: "1",
    tenant_id: tenant,
    request_id: id,
    task: { type: "text.generate", payload: { prompt: "smoke" } },
  };
}

async function call(method: string, path: string, payload?: unknown): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", "x-tenant-id": String(tenant), ...auth },
    body: payload === undefined ? undefined : JSON.stringify(payload),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  let json: Reply["json"];
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text: text.slice(0, 300) };
}

// The router may still be joining its queue group right after its container turned healthy: retry a
// 503 until the deadline instead of failing the whole deployment on a start-up race.
async function until(fn: () => Promise<Reply>, accept: (r: Reply) => boolean): Promise<Reply> {
  for (;;) {
    const r = await fn().catch((e: unknown): Reply => ({ status: 0, text: String(e) }));
    if (accept(r) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 500));
  }
}

async function main(): Promise<boolean> {
  const decide = await until(
    () => call("POST", "/api/v1/routes/decide", body("smoke-decide-" + run)),
    (r) => r.status === 200,
  );
  const decideOk = decide.status === 200 && decide.json?.ok === true && !!decide.json.decision?.provider_id;
  log("decide", decideOk, { status: decide.status, body: decide.text });

  const msgId = "smoke-durable-" + run;
  const accepted = await until(
    () => call("POST", "/api/v1/messages", { ...body(msgId), message_id: msgId }),
    (r) => r.status === 202,
  );
  const acceptedOk = accepted.status === 202 && accepted.json?.ok === true;
  log("durable-accept", acceptedOk, { status: accepted.status, body: accepted.text });

  let decidedOk = false;
  if (acceptedOk) {
    const decided = await until(
      () => call("GET", "/api/v1/routes/decide/" + encodeURIComponent(msgId)),
      (r) => r.status === 200,
    );
    decidedOk = decided.status === 200 && decided.json?.ok === true;
    log("durable-decided", decidedOk, { status: decided.status, body: decided.text });
  }
  return decideOk && acceptedOk && decidedOk;
}

main().then(
  (ok) => {
    log("result", ok, {});
    process.exit(ok ? 0 : 1);
  },
  (e: unknown) => {
    log("result", false, { error: String(e) });
    process.exit(1);
  },
);
