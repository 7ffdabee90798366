import { bytesPerElement, isFloat } from "../ir/dtype.ts";
import { indexedShape, type IndexItem } from "../ir/index-spec.ts";
import { formatShape, knownSize, type Dim } from "../ir/shape.ts";
import type { Graph, GraphNode, StepRange } from "../format/graph-schema.ts";
import type {
  Manifest,
  ModuleCall,
  TensorSpec,
} from "../manifest/manifest-schema.ts";
import { ModuleIndex, unknownModuleMessage } from "../manifest/module-index.ts";
import {
  describeSite,
  siteTensors,
  type HookSite,
  type SiteTensors,
} from "../manifest/hook-site.ts";
import { shapeRules } from "./shape-rules.ts";
import { formatType, type ValueType } from "./value-type.ts";
import { applyModule, bindSymbols, fitsInto } from "./module-shapes.ts";
import { findFloat16Tensor } from "./find-float16-tensor.ts";

/** One problem with a graph, naming the node. */
export interface ValidationIssue {
  readonly nodeId: string;
  readonly op: string;
  /** "node n12 (matmul): input 1 has shape [3,4], expected [4,*]" */
  readonly message: string;
}

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

interface InvokeOrder {
  lastEvent: number;
  lastAccess: string;
  skipped: { real: string; call: number; by: string }[];
}

/**
 * Checks a parsed graph against a model's manifest before anything runs: module
 * paths (with suggestions), forward order within invokes and skipped modules,
 * values used before the forward pass computes them (across invokes too), shapes
 * and types through every operation, index ranges, and size limits. Returns every
 * problem, each naming its node.
 */
export function validateGraph(
  graph: Graph,
  manifest: Manifest,
  limits: GraphLimits = DEFAULT_LIMITS,
): ValidationResult {
  const index = new ModuleIndex(manifest);
  const issues: ValidationIssue[] = [];
  const types = new Map<string, ValueType | null>();
  /** When a value exists: [trace, hook event, invoke]; constants and params exist from the start. */
  const times = new Map<string, readonly [number, number, number]>();
  const orders = new Map<string, InvokeOrder>();
  const saveNames = new Map<string, string>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  let constantBytes = 0;
  let savedBytes = 0;
  /** Each trace's backward node, and the values computed from gradients. */
  const backwards = new Map<number, string>();
  const fromGradients = new Set<string>();
  const gradNodes: Extract<GraphNode, { op: "grad" | "write_grad" }>[] = [];
  const report = (node: GraphNode, message: string) =>
    issues.push({
      nodeId: node.id,
      op: node.op,
      message: `node ${node.id} (${node.op}): ${message}`,
    });

  if (graph.nodes.length > limits.maxNodes) {
    const last = graph.nodes[graph.nodes.length - 1]!;
    report(
      last,
      `the graph has ${graph.nodes.length} nodes, more than the limit of ${limits.maxNodes}`,
    );
  }

  for (const node of graph.nodes) {
    const invokeDef = graph.traces[node.trace]?.invokes[node.invoke];
    const generating = graph.traces[node.trace]?.generate;
    // A generating trace's sequence length changes from step to step.
    const bind = (shape: readonly Dim[]) =>
      bindSymbols(
        shape,
        invokeDef?.input ?? null,
        node.trace,
        node.invoke,
        generating !== undefined,
      );
    checkSteps(node, graph, byId, report);
    const argTypes: ValueType[] = [];
    let argsOk = true;
    node.args.forEach((arg, k) => {
      const t = types.get(arg);
      if (t === undefined)
        argsOk = false; // its own problem is reported already
      else if (t === null) {
        argsOk = false;
        report(
          node,
          `input ${k} (node ${arg}, a ${byId.get(arg)?.op}) has no value`,
        );
      } else argTypes.push(t);
    });
    const argTime = node.args.reduce<readonly [number, number, number]>(
      (latest, arg) => {
        const t = times.get(arg) ?? [-1, -1, -1];
        return compareTime(t, latest) > 0 ? t : latest;
      },
      [-1, -1, -1],
    );
    times.set(node.id, argTime);
    const gradArg = node.args.find(
      (a) => fromGradients.has(a) && byId.get(a)?.trace === node.trace,
    );
    if (gradArg !== undefined) {
      if (
        node.op === "write" ||
        node.op === "skip" ||
        node.op === "call_module" ||
        node.op === "backward"
      )
        report(
          node,
          `it uses node ${gradArg}, computed from a gradient, in the forward pass; gradients exist only once the trace's backward pass runs (use them in a later trace of a session)`,
        );
      else fromGradients.add(node.id);
    }

    /** Resolves a module hook, checks order and availability of the value it consumes. */
    // A tensor without a batch axis (GPT-2's position embeddings, [1, seq, d])
    // is shared by every row of the pass: written from one invoke, it would
    // change the others' results too. Only an invoke that has every row (a
    // trace's only invoke with an input, or invoke(null)) may write it.
    const sharedByInvokes = (
      node: GraphNode,
      shape: readonly unknown[],
      what: string,
    ) => {
      if (shape.includes("batch")) return;
      const invokes = graph.traces[node.trace]?.invokes ?? [];
      if (!invokes[node.invoke]?.input) return;
      const withInput = invokes.filter((i) => i.input).length;
      if (withInput > 1)
        report(
          node,
          `${what} has no batch axis (shape ${formatShape(shape as Dim[])}): every invoke's rows share it, so a write from one of the trace's ${withInput} invokes would change the others' results too; write it in a trace with one invoke, or from invoke(null)`,
        );
    };
    const hook = (
      target: HookSite,
    ):
      | { real: string; call: ModuleCall; site: SiteTensors & { ok: true } }
      | undefined => {
      const { module, call, slot } = target;
      const resolved = index.resolve(module);
      if (!resolved?.spec) {
        report(
          node,
          resolved
            ? `"${module}" is a container of modules, not a module`
            : unknownModuleMessage(index, module),
        );
        return undefined;
      }
      const callSpec = resolved.spec.calls[call];
      if (!callSpec) {
        report(
          node,
          `module "${module}" has ${resolved.spec.calls.length} call(s); call ${call} does not exist`,
        );
        return undefined;
      }
      const site = siteTensors(callSpec, target);
      if (!site.ok) {
        report(node, site.reason);
        return undefined;
      }
      const key = orderKey(node);
      const order = orders.get(key) ?? {
        lastEvent: -1,
        lastAccess: "",
        skipped: [],
      };
      orders.set(key, order);
      const what = describeSite(target);
      const skipper = order.skipped.find((s) =>
        resolved.real.startsWith(`${s.real}.`),
      );
      if (skipper)
        report(
          node,
          `${what} is never computed: its ancestor "${skipper.real}" is skipped by node ${skipper.by}`,
        );
      const skippedItself =
        slot !== "output" &&
        order.skipped.find((s) => s.real === resolved.real && s.call === call);
      if (skippedItself)
        report(
          node,
          slot === "input"
            ? `${what} is accessed after node ${skippedItself.by} skipped "${resolved.real}": a skipped module never reads its input, so a write to it would do nothing (access the input before the skip)`
            : `${what} is never computed: node ${skippedItself.by} skips "${resolved.real}", so its operations never run`,
        );
      const event = site.event;
      if (event < order.lastEvent) {
        report(
          node,
          `${what} is accessed after ${order.lastAccess}, but the model computes it earlier: within an invoke, access modules in forward order`,
        );
      } else {
        order.lastEvent = event;
        order.lastAccess = what;
      }
      const here: readonly [number, number, number] = [
        node.trace,
        event,
        node.invoke,
      ];
      if (
        node.args.length > 0 &&
        argTime[0] === node.trace &&
        compareTime(argTime, here) > 0
      ) {
        const source = node.args.find(
          (a) => compareTime(times.get(a) ?? [-1, -1, -1], here) > 0,
        );
        report(
          node,
          argTime[1] > event
            ? `its value (from node ${source}) exists only later in the forward pass than ${what}`
            : `its value (from node ${source}) comes from a later invoke; invokes run in the order they are written`,
        );
      }
      times.set(node.id, here);
      return { real: resolved.real, call: callSpec, site };
    };
    const tensorAt = (
      site: SiteTensors & { ok: true },
      target: HookSite,
    ): TensorSpec | undefined => {
      const { slot, item } = target;
      const what = describeSite(target);
      const specs = site.tensors;
      if (slot !== "input" && site.tuple !== (item !== null)) {
        report(
          node,
          site.tuple
            ? `${what} is a tuple: pick an element (item 0…${specs.length - 1})`
            : `${what} is a single tensor, not a tuple: item must be null`,
        );
        return undefined;
      }
      const spec = specs[item ?? 0];
      if (!spec)
        report(
          node,
          `${what} has ${specs.length} element(s); item ${item} does not exist`,
        );
      return spec;
    };

    let type: ValueType | null | undefined;
    switch (node.op) {
      case "read": {
        const h = hook(node);
        const spec = h && tensorAt(h.site, node);
        type = spec
          ? { dtype: spec.dtype, shape: bind(spec.shape) }
          : undefined;
        break;
      }
      case "write": {
        const h = hook(node);
        const spec = h && tensorAt(h.site, node);
        if (spec) sharedByInvokes(node, spec.shape, describeSite(node));
        if (spec && argsOk) {
          const target = { dtype: spec.dtype, shape: bind(spec.shape) };
          const value = argTypes[0]!;
          const misfit = regionMisfit(target.shape, node.index, value.shape);
          if (misfit !== undefined) report(node, misfit(describeSite(node)));
          else if (!isFloat(spec.dtype) && isFloat(value.dtype)) {
            report(
              node,
              `cannot write ${value.dtype} values into ${describeSite(node)}, which is ${spec.dtype}`,
            );
          }
          type = target;
        }
        break;
      }
      case "grad":
      case "write_grad": {
        gradNodes.push(node);
        fromGradients.add(node.id);
        if (node.of !== undefined) {
          const of = byId.get(node.of);
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
              `"of" must name an earlier read or write of ${describeSite(node)} in the same trace (the value this is the gradient of), got ${node.of}`,
            );
        }
        const resolved = index.resolve(node.module);
        const callSpec = resolved?.spec?.calls[node.call];
        if (!resolved?.spec || !callSpec) {
          report(
            node,
            !resolved
              ? unknownModuleMessage(index, node.module)
              : !resolved.spec
                ? `"${node.module}" is a container of modules, not a module`
                : `module "${node.module}" has ${resolved.spec.calls.length} call(s); call ${node.call} does not exist`,
          );
          break;
        }
        const site = siteTensors(callSpec, node);
        if (!site.ok) {
          report(node, site.reason);
          break;
        }
        const spec = tensorAt(site, node);
        if (!spec) break;
        if (!isFloat(spec.dtype)) {
          report(
            node,
            `${describeSite(node)} is ${spec.dtype}: only float tensors have gradients`,
          );
          break;
        }
        const target = { dtype: spec.dtype, shape: bind(spec.shape) };
        if (node.op === "write_grad" && argsOk) {
          const misfit = regionMisfit(
            target.shape,
            node.index,
            argTypes[0]!.shape,
          );
          if (misfit !== undefined)
            report(node, misfit(`the gradient of ${describeSite(node)}`));
        }
        type = target;
        break;
      }
      case "backward": {
        const previous = backwards.get(node.trace);
        if (previous !== undefined)
          report(
            node,
            `trace ${node.trace} already has a backward pass (node ${previous}); sum the scalars and call .backward() once`,
          );
        backwards.set(node.trace, node.id);
        const value = argTypes[0];
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
        type = null;
        break;
      }
      case "skip": {
        const h = hook({
          module: node.module,
          call: node.call,
          slot: "input",
          item: 0,
        });
        if (h) {
          const out = h.call.outputs[0];
          if (out) sharedByInvokes(node, out.shape, `${node.module}.output`);
          const value = argTypes[0];
          if (out && value && !fitsInto(value.shape, bind(out.shape))) {
            report(
              node,
              `value of shape ${formatShape(value.shape)} cannot replace ${node.module}.output of shape ${formatShape(bind(out.shape))}`,
            );
          }
          const key = orderKey(node);
          orders.get(key)!.skipped.push({
            real: h.real,
            call: node.call,
            by: node.id,
          });
        }
        type = null;
        break;
      }
      case "param": {
        const spec = index.module(node.module);
        const param = spec?.params.find((p) => p.name === node.name);
        if (!spec) report(node, unknownModuleMessage(index, node.module));
        else if (!param)
          report(
            node,
            `module "${node.module}" has no parameter "${node.name}"; it has: ${spec.params.map((p) => p.name).join(", ") || "none"}`,
          );
        type = param ? { dtype: param.dtype, shape: param.shape } : undefined;
        break;
      }
      case "call_module": {
        const spec = index.module(node.module);
        if (!spec) {
          report(node, unknownModuleMessage(index, node.module));
          break;
        }
        const call = spec.calls[0];
        if (!call || call.inputs.length !== 1 || call.outputs.length !== 1) {
          report(
            node,
            `module "${node.module}" takes ${call?.inputs.length ?? 0} inputs and gives ${call?.outputs.length ?? 0} outputs; call() needs one of each`,
          );
          break;
        }
        if (argsOk)
          type = applyModule(
            call.inputs[0]!,
            call.outputs[0]!,
            argTypes[0]!,
            (m) => report(node, m),
            node.module,
          );
        break;
      }
      case "cache": {
        for (const m of node.modules)
          if (!index.module(m)) report(node, unknownModuleMessage(index, m));
        type = null;
        break;
      }
      default: {
        if (!argsOk) break;
        const result = shapeRules[node.op](node, argTypes);
        if ("error" in result) report(node, result.error);
        else type = result.type;
      }
    }

    if (node.op === "constant") {
      const size = knownSize(node.shape) ?? 0;
      const bytes = size * bytesPerElement(node.dtype);
      const actual = Math.floor((node.data.replace(/=+$/, "").length * 3) / 4);
      if (actual !== bytes)
        report(
          node,
          `data holds ${actual} bytes, expected ${bytes} for ${node.dtype}${formatShape(node.shape)}`,
        );
      constantBytes += actual;
      if (constantBytes > limits.maxConstantBytes)
        report(
          node,
          `constants exceed the limit of ${limits.maxConstantBytes} bytes`,
        );
    }
    if (node.op === "save") {
      if (node.name.startsWith("generated/"))
        report(
          node,
          `the name "${node.name}" is reserved: generated/… names hold the generated tokens`,
        );
      if (generating && node.name.includes("@"))
        report(
          node,
          `the name "${node.name}" has an "@", which names a step in a generation's results (name@step); choose another`,
        );
      const previous = saveNames.get(node.name);
      if (previous)
        report(
          node,
          `the name "${node.name}" is already saved by node ${previous}`,
        );
      saveNames.set(node.name, node.id);
      const size = type ? knownSize(type.shape) : undefined;
      if (type && size !== undefined) {
        savedBytes += size * bytesPerElement(type.dtype);
        if (savedBytes > limits.maxSavedBytes)
          report(
            node,
            `saved values exceed the limit of ${limits.maxSavedBytes} bytes (this one is ${formatType(type)})`,
          );
      }
    }
    if (type !== undefined) types.set(node.id, type);
  }
  for (const node of gradNodes)
    if (!backwards.has(node.trace))
      report(
        node,
        `trace ${node.trace} has no backward pass, so ${describeSite(node)} has no gradient: call .backward() on a scalar of the trace`,
      );
  return issues.length > 0 ? { ok: false, issues } : { ok: true, types };
}

/** Like validateGraph, but throws GraphValidationError listing every issue. */
export function assertValidGraph(
  graph: Graph,
  manifest: Manifest,
  limits?: GraphLimits,
): ReadonlyMap<string, ValueType | null> {
  const result = validateGraph(graph, manifest, limits);
  if (!result.ok) throw new GraphValidationError(result.issues);
  return result.types;
}

/**
 * Why a value of `value` shape cannot be written into `target[index]` (or
 * the whole target), as a message naming the target; undefined when it fits.
 */
function regionMisfit(
  target: readonly Dim[],
  index: readonly IndexItem[] | null,
  value: readonly Dim[],
): ((what: string) => string) | undefined {
  const region =
    index === null ? { shape: [...target] } : indexedShape(target, index);
  if ("error" in region) return () => region.error;
  if (!fitsInto(value, region.shape))
    return (what) =>
      `value of shape ${formatShape(value)} does not fit ${what} region ${formatShape(region.shape)}`;
  return undefined;
}

function compareTime(
  a: readonly [number, number, number],
  b: readonly [number, number, number],
): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Node kinds a generating trace cannot hold, with why. */
const NOT_WHILE_GENERATING: Partial<Record<GraphNode["op"], string>> = {
  stop: "stopping the forward pass early leaves no logits to pick the next token from",
  backward:
    "gradients are not computed during generation (differentiate in a trace of a session)",
  grad: "gradients are not computed during generation (differentiate in a trace of a session)",
  write_grad:
    "gradients are not computed during generation (differentiate in a trace of a session)",
};

/**
 * Generation's rules: `steps` only in a generating trace and within its
 * steps; no early stop or gradients there; a value used at a step exists at
 * that step; a generating trace's values (one per step) stay in it.
 */
function checkSteps(
  node: GraphNode,
  graph: Graph,
  byId: ReadonlyMap<string, GraphNode>,
  report: (node: GraphNode, message: string) => void,
): void {
  const generating = graph.traces[node.trace]?.generate;
  const range = (s: StepRange | undefined) =>
    s ? `steps [${s.from}, ${s.to ?? "end"})` : "every step";
  if (node.steps && !generating) {
    report(
      node,
      `it names generation ${range(node.steps)}, but trace ${node.trace} does not generate`,
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
        report(node, `its ${range(node.steps)} are empty`);
      if (node.steps.from >= generating.maxNewTokens)
        report(
          node,
          `it runs from step ${node.steps.from}, but the generation has ${generating.maxNewTokens} step(s), 0 to ${generating.maxNewTokens - 1}`,
        );
    }
  }
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
        `it runs at ${range(node.steps)} but uses node ${arg}, which exists only at ${range(a.steps)}`,
      );
  }
}

/** Forward order is kept per invoke, and per step scope in a generating trace. */
function orderKey(node: GraphNode): string {
  const s = node.steps;
  return `${node.trace}/${node.invoke}${s ? `/${s.from}:${s.to ?? ""}` : ""}`;
}
