import { RuleOptions } from "./rule-types";
import { Slo } from "./slo";
export interface RenderedFile {
    /** File name relative to its config directory, e.g. "slo-gateway-availability.rules.yml". */
    name: string;
    content: string;
}
export declare const INFRA_RULES_FILE = "beamline-alerts.rules.yml";
export declare function sloRulesFile(slo: Slo): string;
export declare function renderRules(opts?: Partial<RuleOptions>, slos?: readonly Slo[]): RenderedFile[];
