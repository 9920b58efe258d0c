// Every Docker object the harness creates carries this label (value: the stack name), whatever labels the
// program sets, so `down` finds everything even when the program forgets a label.
export const HARNESS_LABEL = "proving-ground.harness";

/** Label filter for the Docker list APIs (containers, networks, volumes) selecting one stack's objects. */
export function harnessFilter(stack: string): string {
  return JSON.stringify({ label: [`${HARNESS_LABEL}=${stack}`] });
}

/** The provider's `[{label, value}]` list as a Docker label map, plus the harness label. */
export function labelMap(
  labels: { label: string; value: string }[] | undefined,
  stack: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels ?? []) out[l.label] = l.value;
  out[HARNESS_LABEL] = stack;
  return out;
}
