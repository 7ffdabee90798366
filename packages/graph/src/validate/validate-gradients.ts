import type { GraphNode } from "../format/graph-schema.ts";
import { describeSite } from "../manifest/hook-site.ts";
import type { ReportIssue } from "./report-issue.ts";

/** A node that reads or replaces a gradient. */
export type GradientNode = Extract<GraphNode, { op: "grad" | "write_grad" }>;

/**
 * Where gradients flow, as nodes are checked in graph order: each trace's
 * backward pass, and the values computed from gradients. Gradients exist only
 * once a trace's backward pass runs, after its forward pass, so the forward
 * pass cannot use them, and a gradient needs a backward pass in its trace.
 */
export class GradientFlow {
  /** Each trace's backward node. */
  readonly #backwards = new Map<number, string>();
  /** The values computed from gradients. */
  readonly #fromGradients = new Set<string>();
  readonly #gradientNodes: GradientNode[] = [];

  constructor(
    private readonly byId: ReadonlyMap<string, GraphNode>,
    private readonly report: ReportIssue,
  ) {}

  /** Checks the node does not feed a gradient of its trace into the forward pass; its value is computed from it otherwise. */
  checkUse(node: GraphNode): void {
    const gradArg = node.args.find(
      (a) =>
        this.#fromGradients.has(a) && this.byId.get(a)?.trace === node.trace,
    );
    if (gradArg === undefined) return;
    if (
      node.op === "write" ||
      node.op === "skip" ||
      node.op === "call_module" ||
      node.op === "backward"
    )
      this.report(
        node,
        `it uses node ${gradArg}, computed from a gradient, in the forward pass; gradients exist only once the trace's backward pass runs (use them in a later trace of a session)`,
      );
    else this.#fromGradients.add(node.id);
  }

  /** Records a node that reads or replaces a gradient. */
  addGradient(node: GradientNode): void {
    this.#gradientNodes.push(node);
    this.#fromGradients.add(node.id);
  }

  /** Records a trace's backward pass; returns the id of one it had already, if any. */
  addBackward(
    node: Extract<GraphNode, { op: "backward" }>,
  ): string | undefined {
    const previous = this.#backwards.get(node.trace);
    this.#backwards.set(node.trace, node.id);
    return previous;
  }

  /** Once every node is checked: each gradient's trace has a backward pass. */
  checkBackwards(): void {
    for (const node of this.#gradientNodes)
      if (!this.#backwards.has(node.trace))
        this.report(
          node,
          `trace ${node.trace} has no backward pass, so ${describeSite(node)} has no gradient: call .backward() on a scalar of the trace`,
        );
  }
}
