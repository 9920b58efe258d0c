// Small HTTP helpers: reading a body under a size limit while it streams, and writing JSON answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gatewayError } from "./errors";

/**
 * Reads the request body, failing with 413 as soon as more than `limit` bytes arrive (a declared
 * Content-Length over the limit fails before reading anything).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        done = true;
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => {
      if (done) return;
      done = true;
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      if (done) return;
      done = true;
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const onAborted = () => onError(new Error("client aborted"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

function tooLarge(limit: number) {
  return gatewayError("payload_too_large", `body exceeds ${limit} bytes`, { limit_bytes: limit });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

export function sendRaw(
  res: ServerResponse,
  status: number,
  payload: string | Buffer | Uint8Array,
  headers?: Record<string, string>,
  contentType = "application/json",
): void {
  if (res.headersSent || res.destroyed) return;
  const h: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength,
  };
  if (headers) Object.assign(h, headers);
  res.writeHead(status, h);
  res.end(payload);
}
