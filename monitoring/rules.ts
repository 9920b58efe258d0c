// Assembles every rule file Prometheus loads: one per SLO plus the infrastructure and NATS alerts.
import { infraRuleGroups } from "./alerts";
import { DEFAULT_RULE_OPTIONS, RuleOptions, renderGroups } from "./rule-types";
import { SLOS, Slo, validateSlos } from "./slo";
import { sloRuleGroup } from "./slo-rules";

export interface RenderedFile {
  /** File name relative to its config directory, e.g. "slo-gateway-availability.rules.yml". */
  name: string;
  content: string;
}

export const INFRA_RULES_FILE = "beamline-alerts.rules.yml";

export function sloRulesFile(slo: Slo): string {
  return `slo-${slo.name}.rules.yml`;
}

export function renderRules(opts: Partial<RuleOptions> = {}, slos: readonly Slo[] = SLOS): RenderedFile[] {
  validateSlos(slos);
  const o: RuleOptions = { ...DEFAULT_RULE_OPTIONS, ...opts };
  if (!(Number.isInteger(o.pageMinEvents) && o.pageMinEvents >= 0))
    throw new Error(
      `rule option pageMinEvents: expected a whole number ≥ 0, got ${JSON.stringify(o.pageMinEvents)}`,
    );
  if (!(o.cpuThrottledRatio > 0 && o.cpuThrottledRatio < 1))
    throw new Error(
      `rule option cpuThrottledRatio: expected a number in (0, 1), got ${JSON.stringify(o.cpuThrottledRatio)}`,
    );
  if (!(Number.isInteger(o.natsClusterSize) && o.natsClusterSize >= 1))
    throw new Error(
      `rule option natsClusterSize: expected a whole number ≥ 1, got ${JSON.stringify(o.natsClusterSize)}`,
    );
  if (!(o.natsStorageRatio > 0 && o.natsStorageRatio < 1))
    throw new Error(
      `rule option natsStorageRatio: expected a number in (0, 1), got ${JSON.stringify(o.natsStorageRatio)}`,
    );
  return [
    ...slos.map((slo) => ({ name: sloRulesFile(slo), content: renderGroups([sloRuleGroup(slo, o)]) })),
    { name: INFRA_RULES_FILE, content: renderGroups(infraRuleGroups(o)) },
  ];
}
