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
export declare const BURN_POLICIES: readonly BurnAlertPolicy[];
/** Burn-rate factor for a window: budget share × period / long window, rounded to 4 decimals. */
export declare function burnFactor(periodDays: number, w: BurnWindow): number;
/** PromQL duration for a minute count: 5m, 1h, 1d, 3d, 30d. */
export declare function promDuration(minutes: number): string;
/** PromQL duration for a second count, in the largest exact unit. */
export declare function promDurationSeconds(seconds: number): string;
/** Every window (minutes) the recording rules must provide, ascending and unique. */
export declare function requiredWindows(): number[];
