import type { SavedTensor } from "@loupe/graph";
import type { RowGeneration, RunUsage } from "./batch-step.ts";

/** What a run returns: every saved value, by name (or, in a batch, this graph's failure). */
export interface RunResult {
  readonly saves: Record<string, SavedTensor>;
  /**
   * This graph's share of the forward passes it ran in: those of the attempt
   * its result comes from (a batch whose shared pass failed is rerun, and
   * charged to no graph: see `runIsolated`).
   */
  readonly usage: RunUsage;
  /**
   * Set when this graph failed (invalid, over the memory budget, or while
   * running, alone or in its own segment); the batch's other graphs are unaffected.
   */
  readonly error?: Error;
  /**
   * Every prompt row its generating traces generated, with why it stopped
   * (the ids are in `saves` too, as `generated/<trace>/<invoke>/<row>`).
   */
  readonly generated: readonly RowGeneration[];
  /**
   * What ran otherwise than the graph asked: a generation that asked for the
   * key/value cache (`kvCache: true`) on an export that cannot use one
   * recomputes every step, and says so here.
   */
  readonly warnings: readonly string[];
}

/**
 * A graph's result from what it ran: its saves, or, when it failed, its
 * error and no saves (what a failed graph saved before it failed is partial).
 */
export function toRunResult(
  ran: Omit<RunResult, "error">,
  error: Error | undefined,
): RunResult {
  const { usage, generated, warnings } = ran;
  return error
    ? { saves: {}, usage, error, generated, warnings }
    : { saves: ran.saves, usage, generated, warnings };
}
