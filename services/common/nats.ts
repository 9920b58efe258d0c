// One NATS connection policy for every service: it must survive chaos (NATS killed, restarted,
// partitioned) without a process restart, and notice a dead link quickly.
import { connect, ConnectionOptions, NatsConnection } from "nats";
import { EnvReader } from "./env";
import type { Logger } from "./log";

export interface NatsSettings {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  /** Ping every `pingIntervalMs`; after `maxPingOut` missed pongs the link counts as dead. */
  pingIntervalMs: number;
  maxPingOut: number;
  reconnectWaitMs: number;
  reconnectJitterMs: number;
}

/** Reads NATS_URL (comma-separated list allowed), NATS_USER/NATS_PASSWORD or NATS_TOKEN. */
export function readNatsSettings(env: EnvReader): NatsSettings {
  const servers = env.list("NATS_URL", ["nats://127.0.0.1:4222"]);
  for (const s of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+(:\d+)?\/?$/.test(s) && !/^[^\s/:]+:\d+$/.test(s)) {
      env.problem(
        `NATS_URL must be a comma-separated list of nats://host:port URLs, got ${JSON.stringify(s)}`,
      );
    }
  }
  const user = env.string("NATS_USER");
  const password = env.string("NATS_PASSWORD");
  const token = env.string("NATS_TOKEN");
  if ((user === undefined) !== (password === undefined)) {
    env.problem("NATS_USER and NATS_PASSWORD must be set together");
  }
  if (token && user) env.problem("set either NATS_TOKEN or NATS_USER/NATS_PASSWORD, not both");
  return {
    servers,
    user,
    password,
    token,
    // 5 s × 2 missed pongs: a silently dead link is noticed within ~10-15 s.
    pingIntervalMs: env.int("NATS_PING_INTERVAL_MS", 5000, { min: 100, max: 120000 }),
    maxPingOut: env.int("NATS_MAX_PING_OUT", 2, { min: 1, max: 10 }),
    reconnectWaitMs: env.int("NATS_RECONNECT_WAIT_MS", 250, { min: 10, max: 60000 }),
    reconnectJitterMs: env.int("NATS_RECONNECT_JITTER_MS", 250, { min: 0, max: 60000 }),
  };
}

export function natsConnectionOptions(s: NatsSettings, name: string): ConnectionOptions {
  return {
    servers: s.servers,
    name,
    user: s.user,
    pass: s.password,
    token: s.token,
    // Never give up: NATS outages are survived by reconnecting, not by a process restart.
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: s.reconnectWaitMs,
    reconnectJitter: s.reconnectJitterMs,
    reconnectJitterTLS: s.reconnectJitterMs,
    pingInterval: s.pingIntervalMs,
    maxPingOut: s.maxPingOut,
    // Start even when NATS is not up yet; /ready reports the state meanwhile.
    waitOnFirstConnect: true,
    timeout: 5000,
  };
}

/**
 * Connects with the shared policy and logs every connection state change. `extra` adds per-service
 * options that do not change the policy (e.g. the gateway's `noAsyncTraces` on its hot path).
 */
export async function connectNats(
  s: NatsSettings,
  name: string,
  log: Logger,
  extra: Partial<ConnectionOptions> = {},
): Promise<NatsConnection> {
  const nc = await connect({ ...extra, ...natsConnectionOptions(s, name) });
  log.info("nats connected", { server: nc.getServer() });
  (async () => {
    for await (const st of nc.status()) {
      const lvl = st.type === "disconnect" || st.type === "error" ? "warn" : "info";
      log[lvl]("nats status", { type: st.type, data: typeof st.data === "string" ? st.data : undefined });
    }
  })().catch(() => undefined);
  return nc;
}
