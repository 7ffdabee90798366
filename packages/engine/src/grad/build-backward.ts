import { OnnxElementType } from "@loupe/graph";
import {
  writeModel,
  type NodeSpec,
  type RawNode,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";
import { Emitter, GRAD_PREFIX, MICROSOFT_DOMAIN } from "./emitter.ts";
import { GradientError } from "./gradient-error.ts";
import { activeTensors, gradientPath } from "./gradient-path.ts";
import { viewNode, type NodeView, type Program } from "./program.ts";
import { splitSequencesAsSlices } from "./split-sequences.ts";
import { tensorFacts } from "./tensor-facts.ts";
import { nodeLabel, type Grads, type RuleContext } from "./vjp/rule.ts";
import { VJP_RULES } from "./vjp/vjp-rules.ts";

/** A program's reverse pass, ready to become a session. */
export interface BackwardProgram {
  readonly bytes: Uint8Array;
  /** For each seeded forward output, the backward input that carries its gradient. */
  readonly seedInputs: ReadonlyMap<string, string>;
  /** For each forward input that receives a gradient, the backward output holding it. */
  readonly gradOutputs: ReadonlyMap<string, string>;
}

/** Names of a backward model's seed inputs and gradient outputs: the forward tensor's, prefixed. */
export const SEED_PREFIX = `${GRAD_PREFIX}seed/`;
export const GRAD_OUTPUT_PREFIX = `${GRAD_PREFIX}grad/`;
const seedName = (t: string) => `${SEED_PREFIX}${t}`;
const gradName = (t: string) => `${GRAD_OUTPUT_PREFIX}${t}`;

/**
 * Reverse-mode differentiation of a straight-line ONNX program. The backward
 * model recomputes the forward nodes it needs (a model piece is a stage
 * between cuts: recomputing it is gradient checkpointing per stage, so no
 * activation is kept from the forward pass), then applies each operator's
 * vector-Jacobian product in reverse order. Gradients flow only along float
 * tensors that depend on a `wrt` input and reach a seeded output; weights get
 * none. An operator on that path without a rule is an error naming it: a
 * gradient is never silently dropped.
 *
 * Hand-written because no JavaScript library differentiates ONNX graphs
 * (onnxruntime-training's gradient builder is C++/Python and not in
 * onnxruntime-node).
 *
 * @example
 * const back = buildBackward(program, { seeds: ["logits"], wrt: ["h"], inputRanks });
 */
export function buildBackward(
  original: Program,
  options: {
    /** Forward outputs whose gradient is given (a seed input each). */
    readonly seeds: readonly string[];
    /** Forward inputs whose gradient is wanted. */
    readonly wrt: readonly string[];
    /** Ranks of the program's inputs (known from the values fed). */
    readonly inputRanks: ReadonlyMap<string, number>;
  },
): BackwardProgram {
  const program = splitSequencesAsSlices(original);
  if (program.opset < 13)
    throw new GradientError(
      `models of opset ${program.opset} are not differentiated (13 or later is needed)`,
    );
  const nodes = program.nodes.map(viewNode);
  const facts = tensorFacts(program, nodes, options.inputRanks);
  const active = activeTensors(nodes, facts, options.wrt);
  const { relevant, onPath } = gradientPath(nodes, active, options.seeds);
  assertRules(onPath);

  const e = new Emitter(program.opset, facts);
  const sums = new GradientSums(e);
  const seedInputs = new Map<string, string>();
  for (const t of options.seeds) {
    if (!relevant.has(t)) continue;
    const name = seedName(t);
    seedInputs.set(t, name);
    facts.set(name, { ...facts.get(t) });
    sums.add(t, name);
  }
  for (const n of onPath) applyRule(n, e, relevant, sums);

  const inputNames = new Set(program.inputs.map((i) => i.name));
  const gradOutputs = new Map<string, string>();
  const outputs: ValueInfo[] = [];
  const finals: { from: string; to: string }[] = [];
  for (const t of options.wrt) {
    if (!inputNames.has(t) || !relevant.has(t)) continue;
    const g = sums.of(t);
    if (!g) continue;
    const name = gradName(t);
    finals.push({ from: g, to: name });
    gradOutputs.set(t, name);
    outputs.push({ name, elemType: elemTypeOf(e, t) });
  }
  for (const f of finals)
    e.nodes.push({ opType: "Identity", input: [f.from], output: [f.to] });

  const bytes = writeBackwardModel(program, nodes, e, seedInputs, outputs);
  return { bytes, seedInputs, gradOutputs };
}

/** The element type recorded for a tensor, float where none is known. */
const elemTypeOf = (e: Emitter, t: string): number =>
  e.facts.get(t)?.elemType ?? OnnxElementType.FLOAT;

/** Refuses a path with operators that have no rule, naming them all. */
function assertRules(onPath: readonly NodeView[]): void {
  const missing = [
    ...new Set(onPath.filter((n) => !VJP_RULES[n.opType]).map((n) => n.opType)),
  ];
  if (missing.length > 0)
    throw new GradientError(
      `no gradient rule for ONNX operator${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (on the path from the differentiated tensors to the result)`,
    );
}

/**
 * The gradient contributions each tensor has received (one per consumer on
 * the path), summed once, when the tensor's gradient is first read.
 */
class GradientSums {
  readonly #contributions = new Map<string, string[]>();

  constructor(private readonly e: Emitter) {}

  add(t: string, g: string): void {
    const list = this.#contributions.get(t) ?? [];
    list.push(g);
    this.#contributions.set(t, list);
  }

  /** The gradient of `t`, or undefined where none has reached it. */
  of(t: string): string | undefined {
    const list = this.#contributions.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) {
      const sum = this.e.op("Sum", list, {}, { ...this.e.facts.get(t) });
      this.#contributions.set(t, [sum]);
      return sum;
    }
    return list[0];
  }
}

/** Runs a node's rule and records the gradients of its relevant inputs; errors name the node. */
function applyRule(
  n: NodeView,
  e: Emitter,
  relevant: ReadonlySet<string>,
  sums: GradientSums,
): void {
  const ctx: RuleContext = {
    n,
    e,
    g: (j) => {
      const t = n.output[j];
      return t && relevant.has(t) ? sums.of(t) : undefined;
    },
    wants: (i) => {
      const t = n.input[i];
      return t !== undefined && t !== "" && relevant.has(t);
    },
  };
  let grads: Grads;
  try {
    grads = VJP_RULES[n.opType]!(ctx);
  } catch (error) {
    if (error instanceof GradientError)
      throw new GradientError(`${error.message} (node ${nodeLabel(n)})`);
    throw error;
  }
  grads.forEach((g, i) => {
    const t = n.input[i];
    if (g && t && relevant.has(t)) sums.add(t, g);
  });
}

/**
 * The backward model's bytes: only what the gradient outputs need, in order
 * (forward nodes, then backward ones), with the seeds as inputs and
 * ONNX Runtime's contrib domain imported where a node uses it.
 */
function writeBackwardModel(
  program: Program,
  nodes: readonly NodeView[],
  e: Emitter,
  seedInputs: ReadonlyMap<string, string>,
  outputs: readonly ValueInfo[],
): Uint8Array {
  const all = [
    ...program.nodes.map((n, i) => ({ n, v: nodes[i]! })),
    ...e.nodes.map((n) => ({ n, v: viewNode(n) })),
  ];
  const needed = new Set(outputs.map((o) => o.name));
  const keep: boolean[] = new Array<boolean>(all.length).fill(false);
  for (let i = all.length - 1; i >= 0; i--) {
    const { v } = all[i]!;
    if (!v.output.some((t) => needed.has(t))) continue;
    keep[i] = true;
    v.input.forEach((t) => t && needed.add(t));
  }
  const kept: (RawNode | NodeSpec)[] = all
    .filter((_, i) => keep[i])
    .map((x) => x.n);
  const inputs: ValueInfo[] = [
    ...program.inputs.filter((i) => needed.has(i.name)),
    ...[...seedInputs].map(([t, name]) => ({
      name,
      elemType: elemTypeOf(e, t),
    })),
  ];
  const initializers = [
    ...program.initializers.filter((i) => needed.has(i.name ?? "")),
    ...e.inits.filter((i) => needed.has(i.name!)),
  ];
  const contrib = kept.some(
    (n) => "domain" in n && n.domain === MICROSOFT_DOMAIN,
  );
  return writeModel({
    irVersion: program.irVersion,
    opsetImports: contrib
      ? [...program.opsetImports, { domain: MICROSOFT_DOMAIN, version: 1 }]
      : program.opsetImports,
    nodes: kept,
    initializers,
    inputs,
    outputs,
    name: "loupe_backward",
  });
}
