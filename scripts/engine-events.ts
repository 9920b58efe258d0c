// Pure readings of the engine's structured events, shared by the Automation API helpers (engine.ts) and
// the preview summary (preview-summary.ts). Only types come from the Automation API, so a script that
// imports this does not load it.
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** The engine's replacement steps; a replace shows as one "replace" per resource. */
export const REPLACEMENT_STEPS = new Set([
  "replace",
  "create-replacement",
  "delete-replaced",
  "discard-replaced",
]);

/**
 * Operation per resource URN from a preview's or update's engine events (`same` steps left out). A
 * replacement is several steps of one resource (create-replacement, replace, delete-replaced; in another
 * order with deleteBeforeReplace): it is reported once, as "replace".
 */
export function plannedOperations(events: EngineEvent[]): Map<string, string> {
  const ops = new Map<string, string>();
  for (const e of events) {
    const step = e.resourcePreEvent?.metadata;
    if (!step || step.op === "same") continue;
    ops.set(step.urn, REPLACEMENT_STEPS.has(step.op) ? "replace" : step.op);
  }
  return ops;
}

/** The resource's type and name from its URN: "docker:index/container:Container::router-1". */
export function urnTypeName(urn: string): string {
  const parts = urn.split("::");
  const type = (parts[2] ?? "").split("$").pop() ?? "";
  return `${type}::${parts[3] ?? ""}`;
}
