import type { Graph } from "./graph-schema.ts";

/** Upper bounds on the tokens a graph's inputs make, known before tokenizing. */
export interface InputTokenBounds {
  /** Rows of the first forward pass (its invokes' prompts or id rows). */
  readonly firstPassRows: number;
  /** The longest row of any pass, in tokens (at least 1). */
  readonly longestRow: number;
  /** Tokens of every row of every pass. */
  readonly totalTokens: number;
}

/**
 * Bounds the tokens a graph's inputs make without a tokenizer: a byte-level
 * BPE never makes more tokens than a prompt has UTF-8 bytes, plus two for
 * special tokens; `ids` inputs count exactly. What quota reservations and batch
 * sizes are estimated from before a run is tokenized.
 */
export function inputTokenBounds(graph: Graph): InputTokenBounds {
  const encoder = new TextEncoder();
  let firstPassRows = 0;
  let longestRow = 1;
  let totalTokens = 0;
  graph.traces.forEach((trace, t) => {
    // A generated row grows by up to maxNewTokens (fed one at a time with a cache).
    const grows = trace.generate?.maxNewTokens ?? 0;
    for (const { input } of trace.invokes) {
      if (!input) continue;
      const rows = (
        input.kind === "text"
          ? input.prompts.map((p) => encoder.encode(p).length + 2)
          : input.ids.map((r) => r.length)
      ).map((n) => n + grows);
      if (t === 0) firstPassRows += rows.length;
      for (const n of rows) {
        longestRow = Math.max(longestRow, n);
        totalTokens += n;
      }
    }
  });
  return { firstPassRows, longestRow, totalTokens };
}
