// Assertions shared by the aws and kubernetes mock tests.
import assert from "node:assert/strict";
import { policies } from "../../policy/policies";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { STACK_OUTPUT_KEYS } from "../../stacks/outputs";
import { isSecretValue, reveal } from "./mocks";
import type { ProgramRun } from "../components/mocks";

export const OUTPUT_KEYS = STACK_OUTPUT_KEYS;

/** JSON of every recorded input with secret values blanked: what a preview would show in plain text. */
export function plainText(run: ProgramRun): string {
  const blank = (v: unknown): unknown => {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(blank);
    if (typeof v === "object" && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)]));
    return v;
  };
  return JSON.stringify(run.mocks.resources.map((r) => blank(r.inputs)));
}

/** Every mandatory/advisory policy of policy/ run over every recorded resource, as CrossGuard would. */
export async function policyViolations(run: ProgramRun): Promise<string[]> {
  const out: string[] = [];
  for (const r of run.mocks.resources.filter((x) => x.custom)) {
    const props = reveal(r.inputs);
    for (const p of policies) {
      const validators = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
      const args = { type: r.type, props, name: r.name, urn: r.name } as unknown as ResourceValidationArgs;
      for (const v of validators) await v(args, (m) => out.push(`${p.name} ${r.type} ${r.name}: ${m}`));
    }
  }
  return out;
}

/**
 * Exactly the StackOutputs keys are exported, except `absent` ones: index.ts leaves out outputs without a
 * value on the stack (the engine warns about undefined exports).
 */
export function assertOutputShape(outputs: Record<string, unknown>, absent: string[] = []): void {
  const expected = Object.keys(OUTPUT_KEYS).filter((k) => !absent.includes(k));
  assert.deepEqual(Object.keys(outputs).sort(), expected.sort(), "exported outputs");
  for (const [k, v] of Object.entries(outputs)) assert.notEqual(v, undefined, `output ${k} is undefined`);
}
