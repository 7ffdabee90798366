/**
 * The plan of one batched forward pass, decided before anything runs and not
 * changed while it runs: each graph's operations by cut position, the cuts
 * the model runs between, and what each model piece computes beyond the
 * model's own nodes. Built once per pass (per generation step) by
 * `planBatch`; what does change while the pass runs (which graphs have
 * stopped) is the runner's own state.
 */
import type { GraphNode } from "@loupe/graph";
import type { HookPoint } from "../model/model-plan.ts";
import type { PreparedGraph } from "./batch-step.ts";

/** Which rows of the batch an invoke sees, and how many tokens. */
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

/** One operation of a graph's segment: a node, or a `tracer.cache` of one module. */
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

/** What one graph runs in the pass, and where. */
export interface GraphPlan {
  /** The graph's index among the run's requests (errors name it). */
  readonly g: number;
  readonly prepared: PreparedGraph;
  /** Each invoke's rows of the batch (an invoke without input: all of the graph's). */
  readonly windows: readonly InvokeWindow[];
  /** Segments by cut position (-1: before the forward pass). */
  readonly segments: ReadonlyMap<number, readonly SegmentEntry[]>;
  /**
   * Gradient reads and writes and what is computed from them, by gradient
   * slot: 2p + 1 for the gradient of what the model continued with at cut
   * position p (after that position's writes), 2p for the gradient from
   * before those writes (a handle read before them). They run in the
   * backward pass once that gradient is complete, higher slots first.
   */
  readonly gradSegments: ReadonlyMap<number, readonly SegmentEntry[]>;
  /** Values used outside the segment that computes them. */
  readonly exported: ReadonlySet<string>;
  /** The cut position after which the graph's `stop()` ends its pass. */
  readonly stopAt: number | undefined;
  /** The trace's backward node, if it has one. */
  readonly backward: (GraphNode & { op: "backward" }) | undefined;
}

/** A `module.call(x)`: the piece holding the module computes it, on a clone of the module's nodes. */
export interface PieceClone {
  /** The calling graph's index in `BatchPlan.graphs`. */
  readonly graph: number;
  readonly node: GraphNode & { op: "call_module" };
  /** `${path}#0` of the module whose nodes are cloned. */
  readonly span: string;
}

/** A batched forward pass, planned. */
export interface BatchPlan {
  /** The graphs that run (one whose plan failed has its error, and is not here). */
  readonly graphs: readonly GraphPlan[];
  /** Cut positions in order: 0, the stages' cuts, every hook a graph touches, the end. */
  readonly cuts: readonly number[];
  /** Module calls by the cut position where the piece computing them starts. */
  readonly clones: ReadonlyMap<number, readonly PieceClone[]>;
  /**
   * By the cut position where a piece ends: hooked tensors that the model
   * itself does not pass on from it, which the piece outputs as well.
   */
  readonly extraOutputs: ReadonlyMap<number, readonly string[]>;
  /** Tensors whose gradient a `.grad` reads, by gradient slot (see GraphPlan.gradSegments). */
  readonly gradHooks: ReadonlyMap<number, ReadonlySet<string>>;
  /** Whether a graph has a backward pass: every program run is then recorded for it. */
  readonly differentiate: boolean;
}
