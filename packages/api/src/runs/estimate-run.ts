import { inputTokenBounds, type Graph } from "@loupe/graph";

/** Reservations hold this multiple of the estimate: the margin for timing noise. */
export const RESERVATION_MARGIN = 2;

/**
 * The compute seconds reserved for a run before it runs: its token bound
 * (inputTokenBounds) at the model's measured seconds per token, with a margin. The run is settled
 * at what the engine actually charged it (its share of each pass's tokens).
 */
export function estimateRunSeconds(
  graph: Graph,
  secondsPerToken: number,
): number {
  return Math.max(
    0.001,
    inputTokenBounds(graph).totalTokens * secondsPerToken * RESERVATION_MARGIN,
  );
}
