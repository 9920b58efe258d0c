// Background observers while an experiment runs: steady-state probes every second (gateway /health and
// /ready, every role's instances running) and Prometheus alerts (first firing time per alert).
import type { Role, StackOutputs } from "../stacks/outputs";
import type { ChaosDriver } from "../tooling/drivers/types";
import type { AlertObservation } from "./measures";

export interface ProbeSample {
  t: number;
  health: boolean;
  ready: boolean;
  running: Partial<Record<Role, boolean[]>>;
}

async function ok(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(900) });
    await res.arrayBuffer();
    return res.status < 400;
  } catch {
    return false;
  }
}

export interface Observer {
  probes: ProbeSample[];
  alerts: Map<string, AlertObservation>;
  /** Resolves after the first successful alert poll (at once without Prometheus), so alerts already
   * firing are known before the first fault and not mistaken for detections. */
  alertsKnown: Promise<void>;
  /** Marks alerts seen firing so far as pre-existing (call right before the first fault). */
  markPreexisting(): void;
  stop(): Promise<void>;
}

/** Roles the driver can see (the stack's chaos targets). */
export function rolesOf(outputs: StackOutputs): Role[] {
  return Object.keys(outputs.chaosTargets) as Role[];
}

export function startObserver(outputs: StackOutputs, driver: ChaosDriver, intervalMs = 1000): Observer {
  const probes: ProbeSample[] = [];
  const alerts = new Map<string, AlertObservation>();
  /** Alerts seen firing earlier that are not firing now. */
  const resolved = new Set<string>();
  let stopped = false;
  const roles = rolesOf(outputs);

  const probeOnce = async () => {
    const t = Date.now();
    const [health, ready, ...states] = await Promise.all([
      ok(`${outputs.gatewayUrl}/health`),
      ok(`${outputs.gatewayUrl}/ready`),
      ...roles.map((r) => driver.running(r).catch(() => [] as boolean[])),
    ]);
    const running: Partial<Record<Role, boolean[]>> = {};
    roles.forEach((r, i) => (running[r] = states[i]));
    probes.push({ t, health, ready, running });
  };

  let known!: () => void;
  const alertsKnown = new Promise<void>((r) => (known = r));
  if (!outputs.prometheusUrl) known();
  const alertsOnce = async () => {
    if (!outputs.prometheusUrl) return;
    try {
      const res = await fetch(`${outputs.prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(900) });
      const body = (await res.json()) as {
        data?: { alerts?: { labels: Record<string, string>; state: string }[] };
      };
      const t = Date.now();
      const firing = new Set(
        (body.data?.alerts ?? [])
          .filter((a) => a.state === "firing")
          .map((a) => a.labels.alertname ?? "unnamed"),
      );
      for (const name of firing) {
        const seen = alerts.get(name);
        if (!seen) alerts.set(name, { name, firstFiringAt: t, preexisting: false });
        else if (resolved.has(name)) {
          // It stopped firing and fires again: a new detection (e.g. still firing from the previous
          // experiment when this one started, resolved, then fired for this fault).
          seen.firstFiringAt = t;
          seen.preexisting = false;
        }
        resolved.delete(name);
      }
      for (const name of alerts.keys()) if (!firing.has(name)) resolved.add(name);
      known();
    } catch {
      // Prometheus unreachable for a moment: the next poll tries again.
    }
  };

  const loop = async (fn: () => Promise<void>) => {
    while (!stopped) {
      const t0 = Date.now();
      await fn();
      const wait = intervalMs - (Date.now() - t0);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const loops = [loop(probeOnce), loop(alertsOnce)];
  return {
    probes,
    alerts,
    alertsKnown,
    markPreexisting() {
      for (const a of alerts.values()) if (!resolved.has(a.name)) a.preexisting = true;
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
