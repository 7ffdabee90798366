/** What a run adds to a batch: its first pass's rows and its longest row in tokens (an upper bound). */
export interface BatchSize {
  readonly rows: number;
  readonly longest: number;
}

/** How a worker fills a batch. */
export interface BatchOptions {
  /** Rows (prompts) in one batch, at most; a larger run runs alone. */
  readonly maxRows: number;
  /** Padded tokens (rows times the longest row: the pass's activations) in one batch, at most. */
  readonly maxPaddedTokens?: number;
}

/**
 * The runs that fit one batch, taken in the order given (the claim's fair
 * order: round-robin across users): each run is taken if the batch's rows
 * and padded tokens stay within the options with it, and skipped otherwise
 * (it leads a later claim); the first run is always taken, however large,
 * so an oversized run runs alone instead of never.
 */
export function fitBatch<T extends BatchSize>(
  candidates: readonly T[],
  options: BatchOptions,
): T[] {
  const maxPadded = options.maxPaddedTokens ?? Infinity;
  const taken: T[] = [];
  let rows = 0;
  let longest = 0;
  for (const c of candidates) {
    const nextRows = rows + c.rows;
    const nextLongest = Math.max(longest, c.longest);
    if (
      taken.length > 0 &&
      (nextRows > options.maxRows || nextRows * nextLongest > maxPadded)
    )
      continue;
    taken.push(c);
    rows = nextRows;
    longest = nextLongest;
  }
  return taken;
}
