import { bytesPerElement } from "../ir/dtype.ts";
import { formatShape, knownSize } from "../ir/shape.ts";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import type { ReportIssue } from "./report-issue.ts";
import { formatType, type ValueType } from "./value-type.ts";

/** Size limits a graph must respect (defaults suit a shared, hosted model). */
export interface GraphLimits {
  readonly maxNodes: number;
  readonly maxConstantBytes: number;
  /** Checked where saved sizes are known; symbolic sizes are checked at run time. */
  readonly maxSavedBytes: number;
}

export const DEFAULT_LIMITS: GraphLimits = {
  maxNodes: 10_000,
  maxConstantBytes: 16 * 2 ** 20,
  maxSavedBytes: 256 * 2 ** 20,
};

/**
 * A graph's sizes against its limits, summed as nodes are checked in graph
 * order, so the node that crosses a limit is the one reported.
 */
export class SizeBudget {
  #constantBytes = 0;
  #savedBytes = 0;

  constructor(
    private readonly limits: GraphLimits,
    private readonly report: ReportIssue,
  ) {}

  /** Reports a graph with too many nodes (on its last node). */
  checkNodeCount(graph: Graph): void {
    if (graph.nodes.length <= this.limits.maxNodes) return;
    const last = graph.nodes[graph.nodes.length - 1]!;
    this.report(
      last,
      `the graph has ${graph.nodes.length} nodes, more than the limit of ${this.limits.maxNodes}`,
    );
  }

  /** Counts a constant's data, which must hold exactly its dtype and shape's bytes. */
  addConstant(node: Extract<GraphNode, { op: "constant" }>): void {
    const size = knownSize(node.shape) ?? 0;
    const bytes = size * bytesPerElement(node.dtype);
    const actual = Math.floor((node.data.replace(/=+$/, "").length * 3) / 4);
    if (actual !== bytes)
      this.report(
        node,
        `data holds ${actual} bytes, expected ${bytes} for ${node.dtype}${formatShape(node.shape)}`,
      );
    this.#constantBytes += actual;
    if (this.#constantBytes > this.limits.maxConstantBytes)
      this.report(
        node,
        `constants exceed the limit of ${this.limits.maxConstantBytes} bytes`,
      );
  }

  /** Counts a saved value of type `type`, where its size is known. */
  addSaved(node: GraphNode, type: ValueType | null | undefined): void {
    const size = type ? knownSize(type.shape) : undefined;
    if (!type || size === undefined) return;
    this.#savedBytes += size * bytesPerElement(type.dtype);
    if (this.#savedBytes > this.limits.maxSavedBytes)
      this.report(
        node,
        `saved values exceed the limit of ${this.limits.maxSavedBytes} bytes (this one is ${formatType(type)})`,
      );
  }
}
