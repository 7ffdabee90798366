/** One token of a distribution: its id, its text, its probability and its logit. */
export interface TokenEntry {
  id: number;
  /** The decoded text, as the tokenizer gives it (leading spaces kept), or `#id` without a tokenizer. */
  token: string;
  prob: number;
  logit: number;
}

/**
 * The `k` most likely tokens of one row of logits, most likely first, with their
 * softmax probability over the whole row. Ties keep the lower token id first;
 * NaN logits are never picked (and make every probability NaN, as they should).
 *
 * The softmax is computed in doubles in the straightforward way, so it can be
 * checked exactly: m = max logit, e_i = exp(x_i - m), p_i = e_i / Σ_i e_i with the
 * sum taken in token order.
 */
export function findTopTokens(
  read: (index: number) => number,
  offset: number,
  length: number,
  k: number,
  decode: ((ids: number[]) => string) | undefined,
): TokenEntry[] {
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < length; i++) max = Math.max(max, read(offset + i));
  for (let i = 0; i < length; i++) sum += Math.exp(read(offset + i) - max);

  // Invariant: `best` holds token ids sorted by logit, descending, at most k long.
  const best: number[] = [];
  for (let id = 0; id < length; id++) {
    const logit = read(offset + id);
    if (Number.isNaN(logit)) continue;
    if (best.length === k && logit <= read(offset + best[k - 1]!)) continue;
    let at = best.length;
    while (at > 0 && logit > read(offset + best[at - 1]!)) at--;
    best.splice(at, 0, id);
    if (best.length > k) best.pop();
  }

  return best.map((id) => {
    const logit = read(offset + id);
    return {
      id,
      token: decode === undefined ? `#${id}` : decode([id]),
      prob: Math.exp(logit - max) / sum,
      logit,
    };
  });
}
