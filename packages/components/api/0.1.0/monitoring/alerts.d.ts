import { RuleGroup, RuleOptions } from "./rule-types";
import { type Severity } from "./burn-rate";
interface AlertDef {
    alert: string;
    severity: Severity;
    expr: string;
    forSeconds: number;
    summary: string;
    description: string;
}
/** Recording rule carrying the configured memory limit per service job (see MemoryNearLimit). */
export declare const MEMORY_LIMIT_RECORD = "beamline:memory_limit_bytes";
/** CpuThrottled's rate window, scaled like the SLO windows (5m × 1/60 = 5s), never below the floor. */
export declare function cpuThrottleWindow(opts: Pick<RuleOptions, "windowScale">): string;
export declare function infraAlertDefs(opts: RuleOptions): AlertDef[];
export declare function infraRuleGroups(opts: RuleOptions): RuleGroup[];
export {};
