import type { SavedTensor } from "./saved-tensor.ts";

/**
 * How a generation's outputs are named among a run's saved tensors, so they
 * travel wherever saves do (the engine, the platform's stored results, the SDK)
 * with no second format: a value saved in a generating trace is saved once per
 * step it ran at, as `name@step`; the tokens each prompt row generated are an
 * int64 vector `generated/<trace>/<invoke>/<row>`.
 */
export const stepSaveName = (name: string, step: number): string =>
  `${name}@${step}`;

export const generatedName = (
  trace: number,
  invoke: number,
  row: number,
): string => `generated/${trace}/${invoke}/${row}`;

/** A saved value's steps, in step order: `saves[name@0]`, `saves[name@1]`, … (skipped steps left out). */
export function savedSteps(
  saves: Readonly<Record<string, SavedTensor>>,
  name: string,
): { step: number; value: SavedTensor }[] {
  const prefix = `${name}@`;
  return Object.entries(saves)
    .filter(
      ([k]) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)),
    )
    .map(([k, value]) => ({ step: Number(k.slice(prefix.length)), value }))
    .sort((a, b) => a.step - b.step);
}

/** The new token ids of every row of a trace's invokes: [invoke][row] -> ids. */
export function generatedIds(
  saves: Readonly<Record<string, SavedTensor>>,
  trace = 0,
): number[][][] {
  const out: number[][][] = [];
  for (const [k, v] of Object.entries(saves)) {
    const m = /^generated\/(\d+)\/(\d+)\/(\d+)$/.exec(k);
    if (!m || Number(m[1]) !== trace) continue;
    const [i, r] = [Number(m[2]), Number(m[3])];
    (out[i] ??= [])[r] = Array.from(v.data as BigInt64Array, Number);
  }
  return out;
}
