// A seeded generator of malformed gateway requests: bad JSON, wrong types, huge fields, invalid UTF-8,
// missing headers, wrong content types and oversize bodies. Same seed → same requests.

import { seededRandom } from "../../services/common/seeded-random";

export interface MalformedCase {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

const good = () => ({ version: "1", tenant_id: "t", request_id: "r", task: { type: "x", payload: {} } });
const WRONG_VALUES: unknown[] = [1, -1.5, true, null, [], [1, 2], {}, "", "x", { a: 1 }];

export function malformedRequests(n: number, seed: number): MalformedCase[] {
  const r = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const json = { "content-type": "application/json", "x-tenant-id": "tenant-a" };
  const gens: Array<() => Omit<MalformedCase, "method" | "path">> = [
    () => {
      const s = JSON.stringify(good());
      return {
        kind: "truncated json",
        headers: json,
        body: Buffer.from(s.slice(0, Math.floor(r() * s.length))),
      };
    },
    () => ({
      kind: "garbage",
      headers: json,
      body: Buffer.from(Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 94) + 32)),
    }),
    () => {
      const b: Record<string, unknown> = good();
      const field = pick([
        "version",
        "request_id",
        "task",
        "trace_id",
        "run_id",
        "policy_id",
        "context",
        "metadata",
        "message_id",
      ]);
      // Every value drawn here is wrong for its field (version: anything but "1"; ids: non-strings or "").
      b[field] = pick(field === "version" ? WRONG_VALUES : [1, -1.5, true, [], {}, ""]);
      if (field === "task")
        b.task = pick([1, "x", [], { type: 5, payload: {} }, { type: "x", payload: 3 }, { type: "x" }]);
      if (["trace_id", "run_id", "policy_id", "message_id"].includes(field))
        b[field] = pick([1, true, [], {}, ""]);
      if (["context", "metadata"].includes(field)) b[field] = pick([1, "s", [], true]);
      return { kind: `wrong type ${field}`, headers: json, body: Buffer.from(JSON.stringify(b)) };
    },
    () => {
      const b: Record<string, unknown> = good();
      b[pick(["request_id", "trace_id", "run_id", "policy_id", "message_id"])] = "x".repeat(
        257 + Math.floor(r() * 5000),
      );
      return { kind: "huge field", headers: json, body: Buffer.from(JSON.stringify(b)) };
    },
    () => {
      const s = Buffer.from(JSON.stringify({ ...good(), request_id: "r-XX" }));
      const i = s.indexOf("XX");
      s[i] = pick([0xff, 0xc3, 0xe2, 0x80]);
      s[i + 1] = pick([0x28, 0xfe, 0x41]);
      return { kind: "invalid utf-8", headers: json, body: s };
    },
    () => ({
      kind: "missing tenant header",
      headers: { "content-type": "application/json" },
      body: Buffer.from(JSON.stringify(good())),
    }),
    () => ({
      kind: "wrong content type",
      headers: {
        "content-type": pick([
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data",
          "application/xml",
        ]),
        "x-tenant-id": "tenant-a",
      },
      body: Buffer.from(JSON.stringify(good())),
    }),
    () => ({
      kind: "no content type",
      headers: { "x-tenant-id": "tenant-a" },
      body: Buffer.from(JSON.stringify(good())),
    }),
    () => ({
      kind: "oversize body",
      headers: json,
      body: Buffer.from(JSON.stringify({ ...good(), payload: "y".repeat(65536 + Math.floor(r() * 100000)) })),
    }),
    () => ({
      kind: "not an object",
      headers: json,
      body: Buffer.from(pick(["[]", "1", '"s"', "null", "true"])),
    }),
    () => ({ kind: "empty body", headers: json, body: Buffer.alloc(0) }),
    () => ({
      kind: "bad header",
      headers: { ...json, "x-tenant-id": "t".repeat(300) },
      body: Buffer.from(JSON.stringify(good())),
    }),
  ];
  const out: MalformedCase[] = [];
  for (let i = 0; i < n; i++) {
    const g = gens[i % gens.length]();
    out.push({ ...g, method: "POST", path: pick(["/api/v1/routes/decide", "/api/v1/messages"]) });
  }
  return out;
}
