import type { Graph } from "@loupe/graph";

/** Reservations hold this multiple of the estimate: the margin for timing noise. */
export const RESERVATION_MARGIN = 2;

/**
 * The tokens a graph's passes will run, bounded from above without a
 * tokenizer: a byte-level BPE never makes more tokens than a prompt has UTF-8
 * bytes (plus two for special tokens); `ids` inputs count exactly.
 */
export function tokenBound(graph: Graph): number {
  let tokens = 0;
  for (const trace of graph.traces)
    for (const invoke of trace.invokes) {
      const input = invoke.input;
      if (!input) continue;
      if (input.kind === "text")
        for (const prompt of input.prompts)
          tokens += new TextEncoder().encode(prompt).length + 2;
      else for (const row of input.ids) tokens += row.length;
    }
  return tokens;
}

/**
 * The compute seconds reserved for a run before it runs: its token bound at
 * the model's measured seconds per token, with a margin. The run is settled
 * at what the engine actually charged it (its share of each pass's tokens).
 */
export function estimateRunSeconds(
  graph: Graph,
  secondsPerToken: number,
): number {
  return Math.max(
    0.001,
    tokenBound(graph) * secondsPerToken * RESERVATION_MARGIN,
  );
}
