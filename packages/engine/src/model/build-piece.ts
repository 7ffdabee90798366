import {
  renameNode,
  writeModel,
  type RawInitializer,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";
import type { Program } from "../grad/program.ts";
import type { PlanNode } from "./input-identities.ts";
import type { ModelPlan } from "./model-plan.ts";

/** `module.call(x)` inside a piece: the module's nodes cloned onto another input. */
export interface CloneRequest {
  /** `${path}#${call}` of the module call whose nodes are cloned. */
  readonly span: string;
  /** Name of the piece input that carries x. */
  readonly input: string;
  /** Suffix that makes the clone's tensor names unique. */
  readonly tag: string;
}

/** The session cache's key of a model piece: its range, extra outputs and clones. */
export function pieceKey(
  a: number,
  b: number,
  extra: readonly string[],
  clones: readonly CloneRequest[],
): string {
  return `piece:${a}:${b}:${extra.join(",")}:${clones.map((r) => `${r.span}<${r.input}`).join(",")}`;
}

/** A model piece between two cut positions, ready to become a session. */
export interface Piece {
  readonly bytes: Uint8Array;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** For each clone request, the piece output holding its result. */
  readonly cloneOutputs: readonly string[];
  /** Bytes of weights this piece's session holds. */
  readonly weightBytes: number;
  /** The piece as a program, for differentiating it. */
  readonly program: Program;
}

/**
 * Builds the ONNX model of the planned nodes in [from, to): inputs are the
 * tensors it consumes that earlier pieces produce, outputs the tensors later
 * pieces (or the caller: `extraOutputs`) need. Weights and constants come along
 * only with the nodes that use them; constant subgraphs are recomputed in every
 * piece that needs them rather than passed between sessions.
 */
export function buildPiece(
  plan: ModelPlan,
  from: number,
  to: number,
  extraOutputs: readonly string[] = [],
  clones: readonly CloneRequest[] = [],
): Piece {
  const body: PlanNode[] = [];
  const produced = new Set<string>();
  for (let i = from; i < to; i++) {
    const n = plan.nodes[i]!;
    if (n.output.length > 0 && n.output.every((t) => plan.free.has(t)))
      continue;
    body.push(n);
    n.output.forEach((t) => produced.add(t));
  }
  const cloned = cloneCalls(plan, clones);
  for (const n of cloned.nodes) n.output.forEach((t) => produced.add(t));
  const { freeNodes, weights, inputs } = pieceInputs(plan, produced, [
    ...body,
    ...cloned.nodes,
  ]);

  const graphOutputs = new Set(plan.outputs.map((o) => o.name));
  const outputs: string[] = [];
  const seenOutput = new Set<string>();
  const addOutput = (t: string) => {
    if (!seenOutput.has(t)) {
      seenOutput.add(t);
      outputs.push(t);
    }
  };
  for (const n of body)
    for (const t of n.output)
      if (graphOutputs.has(t) || (plan.lastUse.get(t) ?? -1) >= to)
        addOutput(t);
  for (const t of extraOutputs) {
    if (!produced.has(t))
      throw new Error(`tensor ${t} is not produced in piece [${from}, ${to})`);
    addOutput(t);
  }
  cloned.outputs.forEach(addOutput);

  const typed = valueInfoOf(plan, clones);
  const program: Program = {
    irVersion: plan.raw.irVersion,
    opsetImports: plan.raw.opsetImports,
    opset: plan.raw.opset,
    nodes: [...freeNodes, ...body, ...cloned.nodes],
    initializers: [...weights.values()],
    inputs: inputs.map(typed),
    outputs: outputs.map(typed),
  };
  const bytes = writeModel({ ...program, name: `piece_${from}_${to}` });
  return {
    bytes,
    inputs,
    outputs,
    cloneOutputs: cloned.outputs,
    program,
    weightBytes: [...weights.values()].reduce((s, w) => s + w.dataBytes, 0),
  };
}

/**
 * The nodes of each requested module call cloned onto its input, their
 * tensors renamed `<tensor>@<tag>`, and each clone's output (chained calls
 * read an earlier clone's output, which comes first).
 */
function cloneCalls(
  plan: ModelPlan,
  clones: readonly CloneRequest[],
): { nodes: PlanNode[]; outputs: string[] } {
  const nodes: PlanNode[] = [];
  const outputs: string[] = [];
  for (const c of clones) {
    const span = plan.spans.get(c.span);
    if (!span) throw new Error(`no module call ${c.span} to clone`);
    const rename = new Map<string, string>([[span.inputs[0]!, c.input]]);
    for (const i of span.nodes) {
      const n = plan.nodes[i]!;
      if (n.output.every((t) => plan.free.has(t))) continue;
      const output = n.output.map((t) => {
        const r = `${t}@${c.tag}`;
        rename.set(t, r);
        return r;
      });
      const input = n.input.map((t) => rename.get(t) ?? t);
      nodes.push(
        "bytes" in n
          ? renameNode(n, {
              input,
              output,
              name: `${n.name ?? ""}@${c.tag}`,
            })
          : { ...n, input, output, name: `${n.name ?? ""}@${c.tag}` },
      );
    }
    outputs.push(rename.get(span.output) ?? span.output);
  }
  return { nodes, outputs };
}

/**
 * What the piece's nodes need from outside them: the constant subgraphs they
 * read (recomputed here, in model order), the weights, and the tensors that
 * earlier pieces produce (its inputs, in the order first needed).
 */
function pieceInputs(
  plan: ModelPlan,
  produced: ReadonlySet<string>,
  nodes: readonly PlanNode[],
): {
  freeNodes: PlanNode[];
  weights: Map<string, RawInitializer>;
  inputs: string[];
} {
  const closure = new Set<number>();
  const weights = new Map<string, RawInitializer>();
  const inputs: string[] = [];
  const seenInput = new Set<string>();
  const need = (t: string) => {
    if (t === "" || produced.has(t)) return;
    const init = plan.initializers.get(t);
    if (init) {
      weights.set(t, init);
      return;
    }
    if (plan.free.has(t)) {
      const p = plan.producer.get(t)!;
      if (closure.has(p)) return;
      closure.add(p);
      plan.nodes[p]!.input.forEach(need);
      return;
    }
    if (!seenInput.has(t)) {
      seenInput.add(t);
      inputs.push(t);
    }
  };
  for (const n of nodes) n.input.forEach(need);
  const freeNodes = [...closure]
    .sort((a, b) => a - b)
    .map((i) => plan.nodes[i]!);
  return { freeNodes, weights, inputs };
}

/** A piece tensor's name and element type (a clone's tensor has its original's). */
function valueInfoOf(
  plan: ModelPlan,
  clones: readonly CloneRequest[],
): (t: string) => ValueInfo {
  const cloneInputTypes = new Map(
    clones.map((c) => [
      c.input,
      plan.types.get(plan.spans.get(c.span)!.inputs[0]!),
    ]),
  );
  return (t) => {
    const at = t.lastIndexOf("@");
    const elemType =
      plan.types.get(t) ??
      cloneInputTypes.get(t) ??
      (at > 0 ? plan.types.get(t.slice(0, at)) : undefined);
    if (elemType === undefined)
      throw new Error(`cannot tell the element type of tensor ${t}`);
    return { name: t, elemType };
  };
}
