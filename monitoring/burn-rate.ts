// Multi-window, multi-burn-rate alerting (Google SRE workbook, ch. 5). Each alert window pair is defined
// by the share of the period's error budget it may consume before alerting; the burn-rate factor is
// derived from the SLO period instead of hard-coded, so a 28-day SLO gets 13.44 instead of 14.4.

export type Severity = "critical" | "warning" | "info";

export interface BurnWindow {
  /** Long window in minutes (the one that proves the burn is significant). */
  longMinutes: number;
  /** Short window in minutes (the one that makes the alert reset quickly once the burn stops). */
  shortMinutes: number;
  /** Share of the whole period's error budget consumed within the long window at this burn rate. */
  budgetConsumed: number;
}

export interface BurnAlertPolicy {
  /** "page" → critical, "ticket" → warning. */
  kind: "page" | "ticket";
  severity: Severity;
  windows: readonly BurnWindow[];
}

export const BURN_POLICIES: readonly BurnAlertPolicy[] = [
  {
    kind: "page",
    severity: "critical",
    windows: [
      { longMinutes: 60, shortMinutes: 5, budgetConsumed: 0.02 },
      { longMinutes: 360, shortMinutes: 30, budgetConsumed: 0.05 },
    ],
  },
  {
    kind: "ticket",
    severity: "warning",
    windows: [
      { longMinutes: 1440, shortMinutes: 120, budgetConsumed: 0.1 },
      { longMinutes: 4320, shortMinutes: 360, budgetConsumed: 0.1 },
    ],
  },
];

/** Burn-rate factor for a window: budget share × period / long window, rounded to 4 decimals. */
export function burnFactor(periodDays: number, w: BurnWindow): number {
  const factor = (w.budgetConsumed * periodDays * 24 * 60) / w.longMinutes;
  return Math.round(factor * 10000) / 10000;
}

/** PromQL duration for a minute count: 5m, 1h, 1d, 3d, 30d. */
export function promDuration(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** PromQL duration for a second count, in the largest exact unit. */
export function promDurationSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Every window (minutes) the recording rules must provide, ascending and unique. */
export function requiredWindows(): number[] {
  const all = BURN_POLICIES.flatMap((p) => p.windows.flatMap((w) => [w.longMinutes, w.shortMinutes]));
  return [...new Set(all)].sort((a, b) => a - b);
}
