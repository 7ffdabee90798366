import type { Dim } from "../ir/shape.ts";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { ModuleIndex } from "../manifest/module-index.ts";
import { bindSymbols } from "./module-shapes.ts";
import { checkOp } from "./op-rules.ts";
import { NodeSites } from "./node-sites.ts";
import { checkPromptIndex } from "./prompt-index-bounds.ts";
import { readableDims } from "./readable-dims.ts";
import type { ReportIssue } from "./report-issue.ts";
import { GradientFlow } from "./validate-gradients.ts";
import {
  DEFAULT_LIMITS,
  SizeBudget,
  type GraphLimits,
} from "./validate-limits.ts";
import { SaveNames } from "./validate-saves.ts";
import { checkSteps } from "./validate-steps.ts";
import { Timeline } from "./validate-timeline.ts";
import type { ValueType } from "./value-type.ts";

// The limits are validateGraph's parameter: the package's index names them
// where it names validateGraph.
export { DEFAULT_LIMITS, type GraphLimits } from "./validate-limits.ts";

/** One problem with a graph, naming the node. */
export interface ValidationIssue {
  readonly nodeId: string;
  readonly op: string;
  /** The module path the node's value comes from ("transformer.h.5.mlp.output"), when it has one. */
  readonly module?: string;
  /** The script's line that made the node ("examples/patch.ts:12"), once located (locateIssues). */
  readonly source?: string;
  /** "node n12 (matmul): input 1 has shape [3,4], expected [4,*]" */
  readonly message: string;
}

/** What validation knows of a graph's inputs beyond the graph itself. */
export interface ValidationInputs {
  /**
   * The sequence length of each invoke with text prompts (promptLengths), by
   * `t<trace>.i<invoke>`: indices on the sequence axis are checked against
   * it, and messages show it instead of the symbol.
   */
  readonly promptLengths?: ReadonlyMap<string, number>;
}

/** The outcome: every value's type, or every problem. */
export type ValidationResult =
  | { readonly ok: true; readonly types: ReadonlyMap<string, ValueType | null> }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Raised by assertValidGraph with every issue. */
export class GraphValidationError extends Error {
  override readonly name = "GraphValidationError";
  readonly code = "GRAPH_INVALID";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`invalid graph:\n${issues.map((i) => `  ${i.message}`).join("\n")}`);
  }
}

/**
 * Checks a parsed graph against a model's manifest before anything runs: module
 * paths (with suggestions), forward order within invokes and skipped modules,
 * values used before the forward pass computes them (across invokes too), shapes
 * and types through every operation, index ranges, and size limits. Returns every
 * problem, each naming its node.
 *
 * Nodes are checked once each, in graph order: a node's arguments come before
 * it, so their types, and when they exist, are known by then.
 */
export function validateGraph(
  graph: Graph,
  manifest: Manifest,
  limits: GraphLimits = DEFAULT_LIMITS,
  inputs: ValidationInputs = {},
): ValidationResult {
  const issues: ValidationIssue[] = [];
  const lengths = inputs.promptLengths ?? new Map<string, number>();
  const sites = new NodeSites();
  const report: ReportIssue = (node, message) => {
    const module = sites.of(node.id);
    issues.push({
      nodeId: node.id,
      op: node.op,
      ...(module !== undefined && { module }),
      message: `node ${node.id} (${node.op}): ${readableDims(message, lengths)}`,
    });
  };
  const index = new ModuleIndex(manifest);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const types = new Map<string, ValueType | null>();
  const timeline = new Timeline(index, report);
  const gradients = new GradientFlow(byId, report);
  const budget = new SizeBudget(limits, report);
  const saves = new SaveNames(report);
  const context = { graph, manifest, index, byId, timeline, gradients, report };

  budget.checkNodeCount(graph);
  for (const node of graph.nodes) {
    sites.enter(node);
    checkSteps(node, graph, byId, report);
    const { args, argsOk } = argumentTypes(node, types, byId, report);
    timeline.enter(node);
    gradients.checkUse(node);
    const bind = (shape: readonly Dim[]) => bindFor(graph, node, shape);
    const type = checkOp(node, { ...context, args, argsOk, bind });
    if (node.op === "constant") budget.addConstant(node);
    if (node.op === "save") {
      saves.add(node, graph.traces[node.trace]?.generate !== undefined);
      budget.addSaved(node, type);
    }
    if (type !== undefined) {
      types.set(node.id, type);
      checkPromptIndex(node, type, types, lengths, report);
    }
  }
  gradients.checkBackwards();
  return issues.length > 0 ? { ok: false, issues } : { ok: true, types };
}

/** Like validateGraph, but throws GraphValidationError listing every issue. */
export function assertValidGraph(
  graph: Graph,
  manifest: Manifest,
  limits?: GraphLimits,
  inputs?: ValidationInputs,
): ReadonlyMap<string, ValueType | null> {
  const result = validateGraph(graph, manifest, limits, inputs);
  if (!result.ok) throw new GraphValidationError(result.issues);
  return result.types;
}

/**
 * The types of a node's arguments that have one. An argument without a type
 * had its own problem reported already; one whose node has no value (a
 * backward, a skip) is reported here.
 */
function argumentTypes(
  node: GraphNode,
  types: ReadonlyMap<string, ValueType | null>,
  byId: ReadonlyMap<string, GraphNode>,
  report: ReportIssue,
): { args: ValueType[]; argsOk: boolean } {
  const args: ValueType[] = [];
  let argsOk = true;
  node.args.forEach((arg, k) => {
    const t = types.get(arg);
    if (t === undefined) argsOk = false;
    else if (t === null) {
      argsOk = false;
      report(
        node,
        `input ${k} (node ${arg}, a ${byId.get(arg)?.op}) has no value`,
      );
    } else args.push(t);
  });
  return { args, argsOk };
}

/** A manifest shape's symbols bound for the node's invoke; a generating trace's sequence length changes from step to step. */
function bindFor(graph: Graph, node: GraphNode, shape: readonly Dim[]): Dim[] {
  const trace = graph.traces[node.trace];
  return bindSymbols(
    shape,
    trace?.invokes[node.invoke]?.input ?? null,
    node.trace,
    node.invoke,
    trace?.generate !== undefined,
  );
}
