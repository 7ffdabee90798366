import { isFloat } from "../ir/dtype.ts";
import { formatShape, type Dim } from "../ir/shape.ts";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import {
  unknownModuleMessage,
  type ModuleIndex,
} from "../manifest/module-index.ts";
import { describeSite } from "../manifest/hook-site.ts";
import { findFloat16Tensor } from "./find-float16-tensor.ts";
import {
  checkSharedByInvokes,
  regionMisfit,
  tensorAt,
} from "./hook-tensors.ts";
import { applyModule, fitsInto } from "./module-shapes.ts";
import type { ReportIssue } from "./report-issue.ts";
import { resolveSite } from "./resolve-site.ts";
import { shapeRules } from "./shape-rules.ts";
import type { GradientFlow, GradientNode } from "./validate-gradients.ts";
import type { Timeline } from "./validate-timeline.ts";
import type { ValueType } from "./value-type.ts";

/** What a rule sees: the graph, the model, the checks' state, and the node's arguments. */
export interface OpCheck {
  readonly graph: Graph;
  readonly manifest: Manifest;
  readonly index: ModuleIndex;
  readonly byId: ReadonlyMap<string, GraphNode>;
  readonly timeline: Timeline;
  readonly gradients: GradientFlow;
  readonly report: ReportIssue;
  /** The types of the node's arguments that have one, in order. */
  readonly args: readonly ValueType[];
  /** Whether every argument has a type (a missing one's problem is reported already). */
  readonly argsOk: boolean;
  /** A manifest shape with its symbols (batch, seq) bound for the node's invoke. */
  bind(shape: readonly Dim[]): Dim[];
}

/**
 * A rule's outcome: the node's type, null for a node with no value, or
 * undefined where a problem (reported) leaves it untyped.
 */
type OpType = ValueType | null | undefined;

/**
 * The operations on the model: those shapeRules leaves to the validator (an
 * op added there as "typed by the validator" needs its rule here too), and
 * cache, whose modules must exist.
 */
type ModelOp =
  | "read"
  | "write"
  | "grad"
  | "write_grad"
  | "backward"
  | "skip"
  | "param"
  | "call_module"
  | "cache";

type NodeOf<O extends GraphNode["op"]> = Extract<GraphNode, { op: O }>;

type OpRule<O extends ModelOp> = (node: NodeOf<O>, check: OpCheck) => OpType;

/** The rule of each operation on the model, by op: hooks, parameters, module calls, gradients. */
const modelOpRules: { readonly [O in ModelOp]: OpRule<O> } = {
  read: (node, check) => {
    const hooked = check.timeline.hook(node, node);
    const spec = hooked && tensorAt(node, hooked.site, check.report);
    return spec
      ? { dtype: spec.dtype, shape: check.bind(spec.shape) }
      : undefined;
  },
  write: checkWrite,
  grad: checkGradient,
  write_grad: checkGradient,
  backward: checkBackward,
  skip: checkSkip,
  param: (node, { index, report }) => {
    const spec = index.module(node.module);
    const param = spec?.params.find((p) => p.name === node.name);
    if (!spec) report(node, unknownModuleMessage(index, node.module));
    else if (!param)
      report(
        node,
        `module "${node.module}" has no parameter "${node.name}"; it has: ${spec.params.map((p) => p.name).join(", ") || "none"}`,
      );
    return param ? { dtype: param.dtype, shape: param.shape } : undefined;
  },
  call_module: checkCallModule,
  cache: (node, { index, report }) => {
    for (const m of node.modules)
      if (!index.module(m)) report(node, unknownModuleMessage(index, m));
    return null;
  },
};

/**
 * Checks a node's operation and gives its type: operations on the model by
 * their rule here, the others by their shape rule (once every argument has a type).
 */
export function checkOp(node: GraphNode, check: OpCheck): OpType {
  if (!isModelOp(node)) {
    if (!check.argsOk) return undefined;
    const result = shapeRules[node.op](node, check.args);
    if ("error" in result) {
      check.report(node, result.error);
      return undefined;
    }
    return result.type;
  }
  // The table pairs each op with the rule of its own node kind.
  const rule = modelOpRules[node.op] as OpRule<ModelOp>;
  return rule(node, check);
}

function isModelOp(node: GraphNode): node is NodeOf<ModelOp> {
  return Object.hasOwn(modelOpRules, node.op);
}

function checkWrite(node: NodeOf<"write">, check: OpCheck): OpType {
  const hooked = check.timeline.hook(node, node);
  const spec = hooked && tensorAt(node, hooked.site, check.report);
  if (spec)
    checkSharedByInvokes(
      node,
      spec.shape,
      describeSite(node),
      check.graph,
      check.report,
    );
  if (!spec || !check.argsOk) return undefined;
  const target = { dtype: spec.dtype, shape: check.bind(spec.shape) };
  const value = check.args[0]!;
  const misfit = regionMisfit(target.shape, node.index, value.shape);
  if (misfit !== undefined) check.report(node, misfit(describeSite(node)));
  else if (!isFloat(spec.dtype) && isFloat(value.dtype)) {
    check.report(
      node,
      `cannot write ${value.dtype} values into ${describeSite(node)}, which is ${spec.dtype}`,
    );
  }
  return target;
}

function checkGradient(node: GradientNode, check: OpCheck): OpType {
  const { report } = check;
  check.gradients.addGradient(node);
  if (node.of !== undefined) checkGradientOf(node, node.of, check);
  const resolved = resolveSite(check.index, node);
  if (!resolved.ok) {
    report(node, resolved.message);
    return undefined;
  }
  const spec = tensorAt(node, resolved.site, report);
  if (!spec) return undefined;
  if (!isFloat(spec.dtype)) {
    report(
      node,
      `${describeSite(node)} is ${spec.dtype}: only float tensors have gradients`,
    );
    return undefined;
  }
  const target = { dtype: spec.dtype, shape: check.bind(spec.shape) };
  if (node.op === "write_grad" && check.argsOk) {
    const misfit = regionMisfit(target.shape, node.index, check.args[0]!.shape);
    if (misfit !== undefined)
      report(node, misfit(`the gradient of ${describeSite(node)}`));
  }
  return target;
}

/** A gradient's `of` names the value it is the gradient of: an earlier read or write of its site. */
function checkGradientOf(
  node: GradientNode,
  ofId: string,
  { graph, byId, report }: OpCheck,
): void {
  const of = byId.get(ofId);
  const same =
    of &&
    (of.op === "read" || of.op === "write") &&
    of.trace === node.trace &&
    of.module === node.module &&
    of.call === node.call &&
    of.slot === node.slot &&
    of.source === node.source &&
    of.item === node.item &&
    graph.nodes.indexOf(of) < graph.nodes.indexOf(node);
  if (!same)
    report(
      node,
      `"of" must name an earlier read or write of ${describeSite(node)} in the same trace (the value this is the gradient of), got ${ofId}`,
    );
}

function checkBackward(node: NodeOf<"backward">, check: OpCheck): OpType {
  const { report, manifest } = check;
  const previous = check.gradients.addBackward(node);
  if (previous !== undefined)
    report(
      node,
      `trace ${node.trace} already has a backward pass (node ${previous}); sum the scalars and call .backward() once`,
    );
  const value = check.args[0];
  if (value) {
    if (!isFloat(value.dtype))
      report(
        node,
        `.backward() needs a float scalar; node ${node.args[0]} is ${value.dtype}`,
      );
    else if (!value.shape.every((d) => d === 1))
      report(
        node,
        `.backward() needs a scalar; node ${node.args[0]} has shape ${formatShape(value.shape)} (reduce it first, e.g. .sum())`,
      );
  }
  const half = findFloat16Tensor(manifest);
  if (half !== undefined)
    report(
      node,
      `gradients on float16 model ${manifest.model.name} are not supported: the backward pass differentiates float32 models only (${half} is float16); take gradients on a float32 export of the model`,
    );
  return null;
}

function checkSkip(node: NodeOf<"skip">, check: OpCheck): OpType {
  const hooked = check.timeline.hook(node, {
    module: node.module,
    call: node.call,
    slot: "input",
    item: 0,
  });
  if (!hooked) return null;
  const out = hooked.call.outputs[0];
  if (out)
    checkSharedByInvokes(
      node,
      out.shape,
      `${node.module}.output`,
      check.graph,
      check.report,
    );
  const value = check.args[0];
  if (out && value && !fitsInto(value.shape, check.bind(out.shape))) {
    check.report(
      node,
      `value of shape ${formatShape(value.shape)} cannot replace ${node.module}.output of shape ${formatShape(check.bind(out.shape))}`,
    );
  }
  check.timeline.skip(node, hooked.real);
  return null;
}

function checkCallModule(node: NodeOf<"call_module">, check: OpCheck): OpType {
  const { index, report } = check;
  const spec = index.module(node.module);
  if (!spec) {
    report(node, unknownModuleMessage(index, node.module));
    return undefined;
  }
  const call = spec.calls[0];
  if (!call || call.inputs.length !== 1 || call.outputs.length !== 1) {
    report(
      node,
      `module "${node.module}" takes ${call?.inputs.length ?? 0} inputs and gives ${call?.outputs.length ?? 0} outputs; call() needs one of each`,
    );
    return undefined;
  }
  if (!check.argsOk) return undefined;
  return applyModule(
    call.inputs[0]!,
    call.outputs[0]!,
    check.args[0]!,
    (m) => report(node, m),
    node.module,
  );
}
