import { RuleGroup, RuleOptions } from "./rule-types";
import type { Slo } from "./slo";
/** Denominator floor (events per second): far below any real traffic, so it only matters at zero. */
export declare const ZERO_TRAFFIC_EPSILON = "1e-9";
export declare const SLO_ALERTS: {
    readonly page: "SLOErrorBudgetBurnPage";
    readonly ticket: "SLOErrorBudgetBurnTicket";
    readonly absent: "SLOSLIAbsent";
};
export declare function errorRatioRecord(minutes: number): string;
export declare const REQUESTS_RECORD = "slo:sli_requests:rate5m";
export declare const OBJECTIVE_RECORD = "slo:objective:ratio";
export declare const BUDGET_RECORD = "slo:error_budget:ratio";
export declare const REMAINING_RECORD = "slo:period_error_budget_remaining:ratio";
export declare const PERIOD_RECORD = "slo:period:days";
/** Error ratio over the SLO's own period, whatever its length (dashboards read this one). */
export declare const PERIOD_RATIO_RECORD = "slo:sli_error:ratio_rate_period";
/** PromQL for the per-second rate of all SLI events over `w`, and of the bad ones. */
export declare function sliRates(slo: Slo, w: string): {
    total: string;
    errors: string;
};
/** The selector that proves the SLI metric exists (used by the absent alert). */
export declare function sliPresenceSelector(slo: Slo): string;
export declare function sloRuleGroup(slo: Slo, opts: RuleOptions): RuleGroup;
