// Structured JSON logs, one object per line. Callers pass ids (trace, tenant, request) as fields;
// payload contents are never logged.

import { LOG_LEVEL, type LogLevel } from "./service-contract";

export type Level = LogLevel;
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(
  service: string,
  level: Level = (process.env[LOG_LEVEL.name] as Level) ?? LOG_LEVEL.default,
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const min = order[level] ?? order.info;
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < min) return;
    const rec: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level: lvl,
      service,
      msg,
      ...base,
      ...fields,
    };
    if (rec.err instanceof Error) rec.err = { name: rec.err.name, message: rec.err.message };
    write(JSON.stringify(rec) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (f) => createLogger(service, level, { ...base, ...f }, write),
  };
}
