import { writeModel, type ValueInfo } from "../onnx/onnx-bytes.ts";
import {
  Emitter,
  GRAD_PREFIX,
  isFloatType,
  MICROSOFT_DOMAIN,
} from "./emitter.ts";
import { viewNode, type NodeView, type Program } from "./program.ts";
import { splitSequencesAsSlices } from "./split-sequences.ts";
import { tensorFacts } from "./tensor-facts.ts";
import {
  GradientError,
  NON_DIFFERENTIABLE,
  VJP_RULES,
  type RuleContext,
} from "./vjp-rules.ts";

export { GradientError } from "./vjp-rules.ts";

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
  const inputNames = new Set(program.inputs.map((i) => i.name));

  // Active: float tensors that depend on a wrt input.
  const active = new Set<string>(
    options.wrt.filter((t) => isFloatType(facts.get(t)?.elemType)),
  );
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    if (!n.input.some((t) => active.has(t))) continue;
    // A tensor of unknown type (a sequence) counts as active: an operator
    // without a rule on the path must be named, never skipped.
    for (const t of n.output) {
      const type = facts.get(t)?.elemType;
      if (type === undefined || isFloatType(type)) active.add(t);
    }
  }
  // Relevant: active tensors from which a seeded output is reachable.
  const relevant = new Set<string>(options.seeds.filter((t) => active.has(t)));
  const onPath: NodeView[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.output.some((t) => relevant.has(t))) continue;
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    const wanted = n.input.filter((t) => active.has(t));
    if (wanted.length === 0) continue;
    onPath.push(n);
    wanted.forEach((t) => relevant.add(t));
  }
  const missing = [
    ...new Set(onPath.filter((n) => !VJP_RULES[n.opType]).map((n) => n.opType)),
  ];
  if (missing.length > 0)
    throw new GradientError(
      `no gradient rule for ONNX operator${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (on the path from the differentiated tensors to the result)`,
    );

  const e = new Emitter(program.opset, facts);
  const contributions = new Map<string, string[]>();
  const addGrad = (t: string, g: string) => {
    const list = contributions.get(t) ?? [];
    list.push(g);
    contributions.set(t, list);
  };
  const seedInputs = new Map<string, string>();
  for (const t of options.seeds) {
    if (!relevant.has(t)) continue;
    const name = seedName(t);
    seedInputs.set(t, name);
    facts.set(name, { ...facts.get(t) });
    addGrad(t, name);
  }
  const gradOf = (t: string): string | undefined => {
    const list = contributions.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) {
      const sum = e.op("Sum", list, {}, { ...facts.get(t) });
      contributions.set(t, [sum]);
      return sum;
    }
    return list[0];
  };
  for (const n of onPath) {
    const ctx: RuleContext = {
      n,
      e,
      g: (j) => {
        const t = n.output[j];
        return t && relevant.has(t) ? gradOf(t) : undefined;
      },
      wants: (i) => {
        const t = n.input[i];
        return t !== undefined && t !== "" && relevant.has(t);
      },
    };
    let grads: (string | undefined)[];
    try {
      grads = VJP_RULES[n.opType]!(ctx);
    } catch (error) {
      if (error instanceof GradientError)
        throw new GradientError(
          `${error.message} (node ${n.name || n.output[0]})`,
        );
      throw error;
    }
    grads.forEach((g, i) => {
      const t = n.input[i];
      if (g && t && relevant.has(t)) addGrad(t, g);
    });
  }

  const gradOutputs = new Map<string, string>();
  const outputs: ValueInfo[] = [];
  const finals: { from: string; to: string }[] = [];
  for (const t of options.wrt) {
    if (!inputNames.has(t) || !relevant.has(t)) continue;
    const g = gradOf(t);
    if (!g) continue;
    const name = gradName(t);
    finals.push({ from: g, to: name });
    gradOutputs.set(t, name);
    outputs.push({ name, elemType: facts.get(t)?.elemType ?? 1 });
  }
  for (const f of finals)
    e.nodes.push({ opType: "Identity", input: [f.from], output: [f.to] });

  // Keep only what the gradients need, in order: forward nodes then backward ones.
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
  const kept = all.filter((_, i) => keep[i]).map((x) => x.n);
  const inputs: ValueInfo[] = [
    ...program.inputs.filter((i) => needed.has(i.name)),
    ...[...seedInputs].map(([t, name]) => ({
      name,
      elemType: facts.get(t)?.elemType ?? 1,
    })),
  ];
  const initializers = [
    ...program.initializers.filter((i) => needed.has(i.name ?? "")),
    ...e.inits.filter((i) => needed.has(i.name!)),
  ];
  const contrib = kept.some(
    (n) => "domain" in n && n.domain === MICROSOFT_DOMAIN,
  );
  const bytes = writeModel({
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
  return {
    bytes,
    seedInputs,
    gradOutputs,
  };
}
