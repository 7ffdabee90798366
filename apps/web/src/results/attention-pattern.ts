import type { SavedTensor } from "@loupe/graph";
import { labelAxis } from "./label-axis";

/** A saved tensor read as attention probabilities: `[batch][head][query][key]`. */
export interface AttentionPattern {
  /** Every row's weights, by batch row, head, query and key. */
  patterns: number[][][][];
  /** One label per query (the tensor's second-to-last axis). */
  queryLabels: string[];
  /** One label per key (the last axis). */
  keyLabels: string[];
}

/** The longest query or key axis drawn; longer sequences stay a plain tensor. */
export const ATTENTION_MAX_SIDE = 128;
/** The most cells (all batch rows and heads together) an attention view carries. */
export const ATTENTION_MAX_CELLS = 2 ** 18;
/** How far a weight may stray outside [0, 1] (float rounding). */
const RANGE_SLACK = 1e-6;
/** How far a row's sum may be from 1, by dtype (float16 keeps ~3 digits). */
const SUM_TOLERANCE: Record<string, number> = {
  float32: 1e-3,
  float16: 1e-2,
};

/**
 * Reads a saved tensor as an attention pattern, or says it is not one
 * (undefined). It is one when all of these hold:
 *
 * - its saved shape is `[heads, query, key]` or `[batch, heads, query, key]`
 *   (leading size-1 dims count: `[1, 1, q, k]` is one head of one row);
 * - `1 <= query <= key <= 128` (a prompt attends over itself, or over a key/value
 *   cache that is longer), and all of it is at most 2^18 cells;
 * - it is float32 or float16, every weight is finite and in [0, 1];
 * - every query row sums to 1 (within 1e-3, 1e-2 for float16), or is all
 *   zeros (a head ablated before the save), and at least one row sums to 1.
 *
 * The name plays no part: a softmax saved under any name is drawn as one, and
 * a name such as "attn" does not turn other numbers into probabilities.
 *
 * Axes are labelled with the prompt's tokens (`3: " Louvre"`, as labelAxis
 * does for a position axis) when the tensor has one batch row and the key axis
 * is as long as the prompt; queries then get the last `query` tokens. Otherwise
 * they get indices.
 */
export function findAttentionPattern(
  tensor: SavedTensor,
  read: (i: number) => number,
  promptTokens: readonly string[] | undefined,
): AttentionPattern | undefined {
  const tolerance = SUM_TOLERANCE[tensor.dtype];
  const shape = tensor.shape;
  if (tolerance === undefined || (shape.length !== 3 && shape.length !== 4))
    return undefined;
  const [keys, queries, heads] = [shape.at(-1)!, shape.at(-2)!, shape.at(-3)!];
  const batch = shape.length === 4 ? shape[0]! : 1;
  if (
    queries < 1 ||
    queries > keys ||
    keys > ATTENTION_MAX_SIDE ||
    heads < 1 ||
    batch < 1 ||
    batch * heads * queries * keys > ATTENTION_MAX_CELLS
  )
    return undefined;

  let normalised = 0;
  const rows: number[][] = [];
  for (let r = 0; r < batch * heads * queries; r++) {
    const row = Array.from({ length: keys }, (_, k) => read(r * keys + k));
    let sum = 0;
    for (const w of row) {
      if (!(w >= -RANGE_SLACK && w <= 1 + RANGE_SLACK)) return undefined;
      sum += w;
    }
    if (Math.abs(sum - 1) <= tolerance) normalised++;
    else if (row.some((w) => w !== 0)) return undefined;
    rows.push(row);
  }
  if (normalised === 0) return undefined;

  const patterns = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: heads }, (_, h) =>
      rows.slice((b * heads + h) * queries, (b * heads + h + 1) * queries),
    ),
  );
  const tokens =
    batch === 1 && promptTokens?.length === keys ? promptTokens : undefined;
  const keyLabels = labelAxis(tokens ? "position" : "key", keys, tokens);
  return {
    patterns,
    queryLabels: tokens
      ? keyLabels.slice(keys - queries)
      : labelAxis("query", queries, undefined),
    keyLabels,
  };
}
