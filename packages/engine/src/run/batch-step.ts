/** The state of one graph in a batched forward pass, shared by placement and execution. */
import type * as ort from "onnxruntime-node";
import type { Graph, GraphNode, ValueType } from "@loupe/graph";
import type { HookPoint } from "../model/model-plan.ts";
import type { SavedTensor } from "@loupe/graph";

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
  readonly generated: GeneratedRow[];
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
  readonly code = "RUN";
}

export interface InvokeWindow {
  /** Rows [r0, r1) of the batch and the invoke's own token count. */
  readonly r0: number;
  readonly r1: number;
  readonly length: number;
  /**
   * Each row's own token count, when the rows differ (absent: every row has
   * `length`). Right-padded rows are then shown right-aligned, as left
   * padding lays them out: position -1 is each row's last token.
   */
  readonly rowLengths?: readonly number[];
}

export interface GraphStep {
  readonly g: number;
  readonly prepared: PreparedGraph;
  readonly nodes: readonly GraphNode[];
  readonly windows: readonly InvokeWindow[];
  /** Segments by cut position (-1: before the forward pass). */
  readonly segments: Map<number, SegmentEntry[]>;
  readonly stopAt: number | undefined;
  /** Values used outside the segment that computes them. */
  readonly exported: ReadonlySet<string>;
  /** call_module nodes, placed in the piece that holds their module. */
  readonly calls: {
    node: GraphNode & { op: "call_module" };
    span: string;
    end: number;
  }[];
  /** Cut position of each node's value (-1: before the forward pass). */
  readonly position: Map<string, number>;
  /** Module calls and the nodes computed from them, placed by placeCalls. */
  readonly pending: GraphNode[];
  /**
   * Gradient reads and writes and what is computed from them, by gradient
   * slot: 2p + 1 for the gradient of what the model continued with at cut
   * position p (after that position's writes), 2p for the gradient from
   * before those writes (a handle read before them). They run in the
   * backward pass once that gradient is complete, higher slots first.
   */
  readonly gradSegments: Map<number, SegmentEntry[]>;
  /** Gradient slot of each node computed from gradients. */
  readonly gradPosition: Map<string, number>;
  /** The trace's backward node, if it has one. */
  readonly backward: (GraphNode & { op: "backward" }) | undefined;
  stopped: boolean;
}

export type SegmentEntry =
  | {
      readonly kind: "node";
      readonly node: GraphNode;
      readonly hook?: HookPoint;
    }
  | {
      readonly kind: "cache";
      readonly path: string;
      readonly invoke: number;
      readonly hook: HookPoint;
    };

/** Marks a graph failed (its error names it); it runs no further. */
export function fail(step: GraphStep, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  step.prepared.error =
    error instanceof RunError
      ? error
      : new RunError(`graph ${step.g}: ${message}`, { cause: error });
  step.stopped = true;
}

/** Why a row stopped generating. */
export type StopReason =
  "length" | "stop_id" | "stop_text" | "cancelled" | "error";

/** The tokens one prompt row generated. */
export interface GeneratedRow {
  readonly trace: number;
  readonly invoke: number;
  readonly row: number;
  readonly ids: number[];
  reason: StopReason | undefined;
  /** Whether the steps fed only new tokens (a key/value cache) or recomputed the sequence. */
  readonly kvCache: boolean;
}
