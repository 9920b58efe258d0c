// One NATS connection policy for every service: it must survive chaos (NATS killed, restarted,
// partitioned) without a process restart, and notice a dead link quickly.
import { connect, ConnectionOptions, NatsConnection } from "nats";
import { EnvReader } from "./env";
import { NATS_ENV } from "./service-contract";
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
  const V = NATS_ENV;
  const servers = env.get(V.url);
  for (const s of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+(:\d+)?\/?$/.test(s) && !/^[^\s/:]+:\d+$/.test(s)) {
      env.problem(
        `${V.url.name} must be a comma-separated list of nats://host:port URLs, got ${JSON.stringify(s)}`,
      );
    }
  }
  const user = env.get(V.user);
  const password = env.get(V.password);
  const token = env.get(V.token);
  if ((user === undefined) !== (password === undefined)) {
    env.problem(`${V.user.name} and ${V.password.name} must be set together`);
  }
  if (token && user) {
    env.problem(`set either ${V.token.name} or ${V.user.name}/${V.password.name}, not both`);
  }
  return {
    servers,
    user,
    password,
    token,
    pingIntervalMs: env.get(V.pingIntervalMs),
    maxPingOut: env.get(V.maxPingOut),
    reconnectWaitMs: env.get(V.reconnectWaitMs),
    reconnectJitterMs: env.get(V.reconnectJitterMs),
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
