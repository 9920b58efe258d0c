export interface AlertmanagerOptions {
    /** Webhook receiving every alert (e.g. a test sink or an incident tool). */
    webhookUrl: string;
    /** Optional separate webhook for critical (paging) alerts; defaults to webhookUrl. */
    pageWebhookUrl?: string;
    /** Optional webhook for the Watchdog heartbeat (a dead man's switch); defaults to webhookUrl. */
    watchdogWebhookUrl?: string;
    /** Notification timing; the live test profile shortens it. Durations in Alertmanager syntax. */
    timing?: {
        groupWait?: string;
        groupInterval?: string;
        repeatInterval?: string;
    };
}
/** Receiver names; `amtool config routes test --verify.receivers` cases rely on them. */
export declare const RECEIVERS: {
    readonly page: "page";
    readonly ticket: "ticket";
    readonly info: "info";
    readonly watchdog: "watchdog";
};
/** Labels alerts are grouped by: one notification per alert name and SLO/job. */
export declare const GROUP_BY: readonly ["alertname", "slo", "job"];
/** alertmanager.yml (pure and deterministic). */
export declare function renderAlertmanagerConfig(opts: AlertmanagerOptions): string;
