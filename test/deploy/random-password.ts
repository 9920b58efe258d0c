// random:index/randomPassword:RandomPassword, generated with crypto randomness following the provider's
// documented inputs: length (required), upper/lower/numeric/special (default true), min* counts and
// overrideSpecial (the provider's default special set is !@#$%&*()-_=+[]{}<>:?).
import crypto from "node:crypto";

export interface RandomPasswordInputs {
  length: number;
  upper?: boolean;
  lower?: boolean;
  numeric?: boolean;
  special?: boolean;
  minUpper?: number;
  minLower?: number;
  minNumeric?: number;
  minSpecial?: number;
  overrideSpecial?: string;
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC = "0123456789";
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

function pick(chars: string): string {
  return chars[crypto.randomInt(chars.length)];
}

export function randomPassword(inputs: RandomPasswordInputs): string {
  const length = inputs.length;
  if (!Number.isInteger(length) || length < 1) {
    throw new Error(`RandomPassword.length: expected an integer >= 1, got ${length}`);
  }
  const sets: { chars: string; min: number }[] = [];
  if (inputs.upper !== false) sets.push({ chars: UPPER, min: inputs.minUpper ?? 0 });
  if (inputs.lower !== false) sets.push({ chars: LOWER, min: inputs.minLower ?? 0 });
  if (inputs.numeric !== false) sets.push({ chars: NUMERIC, min: inputs.minNumeric ?? 0 });
  if (inputs.special !== false) {
    sets.push({ chars: inputs.overrideSpecial ?? DEFAULT_SPECIAL, min: inputs.minSpecial ?? 0 });
  }
  const usable = sets.filter((s) => s.chars.length > 0);
  if (usable.length === 0) throw new Error("RandomPassword: every character class is disabled");
  const required = usable.reduce((n, s) => n + s.min, 0);
  if (required > length) {
    throw new Error(`RandomPassword: the min* counts (${required}) exceed length ${length}`);
  }
  const out: string[] = [];
  for (const s of usable) for (let i = 0; i < s.min; i++) out.push(pick(s.chars));
  const all = usable.map((s) => s.chars).join("");
  while (out.length < length) out.push(pick(all));
  // Fisher-Yates so the required characters are not always first.
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out.join("");
}
