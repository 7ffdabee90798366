import {
  int64Tensor,
  type NodeSpec,
  type RawNode,
  type TensorData,
} from "../onnx/onnx-bytes.ts";
import { GRAD_PREFIX } from "./emitter.ts";
import {
  initializerName,
  initializerValues,
  viewNode,
  type Program,
} from "./program.ts";

/**
 * Dynamo exports split a tensor with SplitToSequence and take its parts with
 * SequenceAt (GPT-2's query, key and value). With constant split sizes and
 * positions each part is a Slice of the input, and a Slice has a gradient
 * rule: this rewrites such parts as Slices (the forward values are the same),
 * so that sequences never carry a gradient. Anything else is left as it is
 * (and named by the backward builder if a gradient needs it).
 */
export function splitSequencesAsSlices(program: Program): Program {
  const views = program.nodes.map(viewNode);
  const constants = new Map<string, readonly number[]>();
  for (const init of program.initializers) {
    const c = initializerValues(init);
    if (c && !c.truncated) constants.set(initializerName(init), c.values);
  }
  views.forEach((v) => {
    const c = v.opType === "Constant" ? v.tensor("value") : undefined;
    if (c && !c.truncated) constants.set(v.output[0]!, c.values);
  });
  const splits = new Map<
    string,
    { input: string; axis: number; sizes: readonly number[]; scalar: boolean }
  >();
  views.forEach((v) => {
    if (v.opType !== "SplitToSequence" || !v.input[1]) return;
    const sizes = constants.get(v.input[1]);
    if (!sizes) return;
    const scalar =
      program.initializers.some(
        (i) => initializerName(i) === v.input[1] && i.dims.length === 0,
      ) ||
      views.some(
        (c) =>
          c.output[0] === v.input[1] && c.tensor("value")?.dims.length === 0,
      );
    splits.set(v.output[0]!, {
      input: v.input[0]!,
      axis: v.int("axis") ?? 0,
      sizes,
      scalar,
    });
  });
  if (splits.size === 0) return program;

  const inits: TensorData[] = [];
  let counter = 0;
  const ints = (values: readonly number[]) => {
    const name = `${GRAD_PREFIX}seq${counter++}`;
    inits.push(int64Tensor(name, values));
    return name;
  };
  const nodes: (RawNode | NodeSpec)[] = program.nodes.map((node, i) => {
    const v = views[i]!;
    if (v.opType !== "SequenceAt") return node;
    const split = splits.get(v.input[0]!);
    const position = constants.get(v.input[1]!)?.[0];
    if (!split || position === undefined) return node;
    let start: number;
    let end: number;
    if (split.scalar) {
      if (position < 0) return node;
      start = position * split.sizes[0]!;
      end = start + split.sizes[0]!;
    } else {
      const k = position < 0 ? position + split.sizes.length : position;
      start = split.sizes.slice(0, k).reduce((a, b) => a + b, 0);
      end = start + split.sizes[k]!;
    }
    return {
      opType: "Slice",
      input: [split.input, ints([start]), ints([end]), ints([split.axis])],
      output: v.output,
      name: v.name,
    };
  });
  return {
    ...program,
    nodes,
    initializers: [...program.initializers, ...inits],
  };
}
