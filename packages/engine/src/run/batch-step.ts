/** What a graph carries through the batched forward passes it runs in: its inputs, and its results as they grow. */
import type * as ort from "onnxruntime-node";
import type {
  Graph,
  GeneratedRowKey,
  SavedTensor,
  StopReason,
  ValueType,
} from "@loupe/graph";

/** A graph ready to run: validated types and its leaf values prepared. */
export interface PreparedGraph {
  readonly graph: Graph;
  readonly types: ReadonlyMap<string, ValueType | null>;
  /** Values of this graph's nodes that outlive a segment (`v:<id>`), leaves included. */
  readonly values: Map<string, ort.Tensor>;
  readonly saves: Record<string, SavedTensor>;
  /** Set when this graph failed while running; the other graphs of the batch go on. */
  error?: Error;
  /** Token ids per trace, invoke and prompt (text already tokenized). */
  readonly tokens: readonly (readonly (
    readonly (readonly number[])[] | null
  )[])[];
  /** What this graph used of the batch's forward passes (see RunUsage). */
  readonly usage: RunUsage;
  /** The rows its generating traces generated, as they grow. */
  readonly generated: RowGeneration[];
  /** What ran otherwise than the graph asked (a key/value cache it could not have). */
  readonly warnings: string[];
  /** Stops this graph's generation (at the next step) when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * A graph's share of the forward passes it ran in. Each pass costs its wall
 * time; a graph is charged that time times its share of the pass's tokens
 * (its rows' own token counts over all rows' counts), so rows and tokens both
 * count and the charges of a pass add up to its time.
 */
export interface RunUsage {
  forwardPasses: number;
  /** Rows this graph added, summed over its passes. */
  rows: number;
  /** Tokens of those rows (without padding), summed over its passes. */
  tokens: number;
  computeSeconds: number;
}

/** How the batched model inputs are padded (left needs a position_ids input). */
export type Padding = "left" | "right";

/** Raised when a batch cannot run; the message names the node or graph. */
export class RunError extends Error {
  override readonly name = "RunError";
  readonly code = "RUN_ERROR";
}

/**
 * The generation of one prompt row as the engine keeps it while it grows:
 * the ids so far, why the row stopped once it has, and how its steps ran.
 * (`GeneratedRow` of @loupe/graph is what a run's readers see of it.)
 */
export interface RowGeneration extends GeneratedRowKey {
  readonly ids: number[];
  reason: StopReason | undefined;
  /** Whether the steps fed only new tokens (a key/value cache) or recomputed the sequence. */
  readonly kvCache: boolean;
}

/** Records a graph's failure as its error, naming it (a RunError already does); it runs no further. */
export function failGraph(
  prepared: PreparedGraph,
  g: number,
  error: unknown,
): void {
  const message = error instanceof Error ? error.message : String(error);
  prepared.error =
    error instanceof RunError
      ? error
      : new RunError(`graph ${g}: ${message}`, { cause: error });
}

/**
 * Charges a forward pass's time to its graphs by their share of the tokens
 * it fed them (`fed[i]`: the rows graph i fed, without padding).
 */
export function chargePass(
  graphs: readonly PreparedGraph[],
  fed: readonly (readonly (readonly number[])[])[],
  seconds: number,
): void {
  const counts = fed.map((rows) => ({
    rows: rows.length,
    tokens: rows.reduce((s, r) => s + r.length, 0),
  }));
  const total = counts.reduce((s, c) => s + c.tokens, 0);
  graphs.forEach(({ usage }, i) => {
    usage.forwardPasses++;
    usage.rows += counts[i]!.rows;
    usage.tokens += counts[i]!.tokens;
    usage.computeSeconds += (seconds * counts[i]!.tokens) / Math.max(1, total);
  });
}
