// alertmanager.yml: severity routing, grouping, critical-inhibits-warning, webhook receivers.
import { toYaml } from "./rule-types";

export interface AlertmanagerOptions {
  /** Webhook receiving every alert (e.g. a test sink or an incident tool). */
  webhookUrl: string;
  /** Optional separate webhook for critical (paging) alerts; defaults to webhookUrl. */
  pageWebhookUrl?: string;
  /** Optional webhook for the Watchdog heartbeat (a dead man's switch); defaults to webhookUrl. */
  watchdogWebhookUrl?: string;
  /** Notification timing; the live test profile shortens it. Durations in Alertmanager syntax. */
  timing?: { groupWait?: string; groupInterval?: string; repeatInterval?: string };
}

/** Receiver names; `amtool config routes test --verify.receivers` cases rely on them. */
export const RECEIVERS = {
  page: "page",
  ticket: "ticket",
  info: "info",
  watchdog: "watchdog",
} as const;

/** Labels alerts are grouped by: one notification per alert name and SLO/job. */
export const GROUP_BY = ["alertname", "slo", "job"] as const;

const DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;

function validate(opts: AlertmanagerOptions): void {
  const problems: string[] = [];
  for (const k of ["webhookUrl", "pageWebhookUrl", "watchdogWebhookUrl"] as const) {
    const v = opts[k];
    if (v === undefined && k !== "webhookUrl") continue;
    try {
      const u = new URL(v ?? "");
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    } catch {
      problems.push(`${k} must be an http(s) URL, got ${JSON.stringify(v)}`);
    }
  }
  for (const [k, v] of Object.entries(opts.timing ?? {}))
    if (v !== undefined && !DURATION_RE.test(v))
      problems.push(`timing.${k} must be a duration like 30s or 5m, got ${JSON.stringify(v)}`);
  if (problems.length) throw new Error(`invalid Alertmanager options:\n  ${problems.join("\n  ")}`);
}

function webhook(name: string, url: string) {
  return { name, webhook_configs: [{ url, send_resolved: true, max_alerts: 0 }] };
}

/** alertmanager.yml (pure and deterministic). */
export function renderAlertmanagerConfig(opts: AlertmanagerOptions): string {
  validate(opts);
  const t = opts.timing ?? {};
  const doc = {
    route: {
      receiver: RECEIVERS.ticket,
      group_by: [...GROUP_BY],
      group_wait: t.groupWait ?? "30s",
      group_interval: t.groupInterval ?? "5m",
      repeat_interval: t.repeatInterval ?? "4h",
      routes: [
        // The heartbeat goes to its own receiver and repeats often, so its absence is noticed.
        {
          receiver: RECEIVERS.watchdog,
          matchers: ['alertname="Watchdog"'],
          group_by: ["alertname"],
          repeat_interval: t.groupInterval ?? "5m",
        },
        { receiver: RECEIVERS.page, matchers: ['severity="critical"'] },
        { receiver: RECEIVERS.ticket, matchers: ['severity="warning"'] },
        { receiver: RECEIVERS.info, matchers: ['severity="info"'] },
      ],
    },
    inhibit_rules: [
      // A paging SLO burn makes the ticket-level burn of the same SLO redundant.
      {
        source_matchers: ['severity="critical"', 'slo=~".+"'],
        target_matchers: ['severity="warning"'],
        equal: ["slo"],
      },
      // A critical problem of a target (down, NATS gone) makes its warnings (lag, memory, backpressure) noise.
      {
        source_matchers: ['severity="critical"', 'instance=~".+"'],
        target_matchers: ['severity="warning"'],
        equal: ["job", "instance"],
      },
    ],
    receivers: [
      webhook(RECEIVERS.page, opts.pageWebhookUrl ?? opts.webhookUrl),
      webhook(RECEIVERS.ticket, opts.webhookUrl),
      webhook(RECEIVERS.info, opts.webhookUrl),
      webhook(RECEIVERS.watchdog, opts.watchdogWebhookUrl ?? opts.webhookUrl),
    ],
  };
  return toYaml(doc);
}
