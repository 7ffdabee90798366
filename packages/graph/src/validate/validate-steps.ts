import type { Graph, GraphNode, StepRange } from "../format/graph-schema.ts";
import type { ReportIssue } from "./report-issue.ts";

/** Node kinds a generating trace cannot hold, with why. */
const NOT_WHILE_GENERATING: Partial<Record<GraphNode["op"], string>> = {
  stop: "stopping the forward pass early leaves no logits to pick the next token from",
  backward:
    "gradients are not computed during generation (differentiate in a trace of a session)",
  grad: "gradients are not computed during generation (differentiate in a trace of a session)",
  write_grad:
    "gradients are not computed during generation (differentiate in a trace of a session)",
};

const describeSteps = (s: StepRange | undefined) =>
  s ? `steps [${s.from}, ${s.to ?? "end"})` : "every step";

/**
 * Generation's rules: `steps` only in a generating trace and within its
 * steps; no early stop or gradients there; a value used at a step exists at
 * that step; a generating trace's values (one per step) stay in it.
 */
export function checkSteps(
  node: GraphNode,
  graph: Graph,
  byId: ReadonlyMap<string, GraphNode>,
  report: ReportIssue,
): void {
  const generating = graph.traces[node.trace]?.generate;
  if (node.steps && !generating) {
    report(
      node,
      `it names generation ${describeSteps(node.steps)}, but trace ${node.trace} does not generate`,
    );
    return;
  }
  if (generating) {
    const why = NOT_WHILE_GENERATING[node.op];
    if (why)
      report(
        node,
        `a generating trace (trace ${node.trace}) cannot hold it: ${why}`,
      );
    if (node.steps) {
      if (node.steps.to !== null && node.steps.to <= node.steps.from)
        report(node, `its ${describeSteps(node.steps)} are empty`);
      if (node.steps.from >= generating.maxNewTokens)
        report(
          node,
          `it runs from step ${node.steps.from}, but the generation has ${generating.maxNewTokens} step(s), 0 to ${generating.maxNewTokens - 1}`,
        );
    }
  }
  checkStepArgs(node, graph, byId, report);
}

/**
 * A generating trace's values exist once per step: another trace cannot use
 * them, and within the trace a value is used only at steps where it exists.
 */
function checkStepArgs(
  node: GraphNode,
  graph: Graph,
  byId: ReadonlyMap<string, GraphNode>,
  report: ReportIssue,
): void {
  for (const arg of node.args) {
    const a = byId.get(arg);
    if (!a) continue;
    const argGenerating = graph.traces[a.trace]?.generate;
    if (!argGenerating) continue;
    if (a.trace !== node.trace) {
      report(
        node,
        `it uses node ${arg} of trace ${a.trace}, a generating trace whose values exist once per step: save it there (name@step in the results) instead`,
      );
      continue;
    }
    const covers =
      !a.steps ||
      (node.steps !== undefined &&
        node.steps.from >= a.steps.from &&
        (a.steps.to === null ||
          (node.steps.to !== null && node.steps.to <= a.steps.to)));
    if (!covers)
      report(
        node,
        `it runs at ${describeSteps(node.steps)} but uses node ${arg}, which exists only at ${describeSteps(a.steps)}`,
      );
  }
}
