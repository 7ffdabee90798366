import type { GenerateOptions } from "@loupe/graph";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/** A graph's own random generator (seeded by its options' seed). */
export type Rng = ReturnType<typeof xoroshiro128plus>;

/**
 * The next token: the argmax (the first of equal maxima, as torch.argmax), or
 * with a temperature a draw from softmax(logits / T) over the top k.
 */
export function pickToken(
  logits: Float32Array,
  options: GenerateOptions,
  rng: Rng,
): number {
  const temperature = options.temperature ?? 0;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++)
      if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let floor = -Infinity;
  const k = options.topK;
  if (k && k < logits.length) floor = Float32Array.from(logits).sort().at(-k)!; // the k-th largest (ties all kept)
  let max = -Infinity;
  for (const v of logits) if (v >= floor && v > max) max = v;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++)
    if (logits[i]! >= floor)
      total += weights[i] = Math.exp((logits[i]! - max) / temperature);
  // A uniform draw in [0, 1) (53 random bits) from the graph's own generator.
  let u = uniformFloat64(rng) * total;
  for (let i = 0; i < logits.length; i++) {
    u -= weights[i]!;
    if (weights[i]! > 0 && u < 0) return i;
  }
  return logits.findLastIndex((v) => v >= floor);
}
