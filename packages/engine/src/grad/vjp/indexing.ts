import type { AttributeValue } from "../../onnx/onnx-bytes.ts";
import { GradientError } from "../gradient-error.ts";
import {
  dataInputRule,
  fromOutput,
  nodeLabel,
  rankFor,
  type Grads,
  type VjpRule,
} from "./rule.ts";

/** The gradient scattered into zeros at the gathered positions (repeated indices add). */
const gatherVjp = dataInputRule((c, g, x) => {
  const e = c.e;
  const idx = c.n.input[1]!;
  const axis = c.n.int("axis") ?? 0;
  const ri = rankFor(c, idx);
  const rx = rankFor(c, x);
  const ax = axis < 0 ? axis + rx : axis;
  let updates = g;
  let indices: string;
  if (ri === 0) {
    updates = e.unsqueeze(g, [ax]);
    indices = e.op("Expand", [idx, e.op("Shape", [updates])]);
  } else if (ri === 1) {
    const shape = Array.from({ length: rx }, (_, i) => (i === ax ? -1 : 1));
    indices = e.op("Expand", [
      e.op("Reshape", [idx, e.ints(shape)]),
      e.op("Shape", [g]),
    ]);
  } else
    throw new GradientError(
      `Gather node ${nodeLabel(c.n)} with ${ri}-D indices on a differentiated tensor: only scalar and 1-D indices are differentiated`,
    );
  // A list may repeat an index: its gradients add (reduction from opset 16).
  if (ri === 1 && e.opset < 16)
    throw new GradientError(
      `Gather node ${nodeLabel(c.n)} with a 1-D index list needs opset 16 to be differentiated (the model has ${e.opset})`,
    );
  const reduction: Record<string, AttributeValue> =
    ri === 1 ? { reduction: { string: "add" } } : {};
  return e.op(
    "ScatterElements",
    [e.zerosLike(x), indices, updates],
    { axis: { int: ax }, ...reduction },
    { elemType: e.typeOf(x), rank: rx },
  );
});

/** `x[slices]`: the gradient scattered into zeros through an iota of x's positions. */
const sliceVjp = dataInputRule((c, g, x) => {
  const e = c.e;
  const size = e.op("Size", [x]);
  const shape = e.op("Shape", [x]);
  const iota = e.op("Reshape", [
    e.op("Range", [e.ints([0], true), size, e.ints([1], true)]),
    shape,
  ]);
  const picked = e.op("Slice", [iota, ...c.n.input.slice(1)]);
  const flat = e.op(
    "ScatterElements",
    [
      e.op("Reshape", [e.zerosLike(x), e.ints([-1])]),
      e.op("Reshape", [picked, e.ints([-1])]),
      e.op("Reshape", [g, e.ints([-1])]),
    ],
    { axis: { int: 0 } },
  );
  return e.op(
    "Reshape",
    [flat, shape],
    {},
    {
      elemType: e.typeOf(x),
      rank: e.rankOf(x),
    },
  );
});

/**
 * Scatter without a reduction: the data keeps the gradient outside the
 * scattered positions, the updates get it at them.
 */
const scatterElementsVjp = fromOutput((c, g) => {
  if ((c.n.string("reduction") ?? "none") !== "none")
    throw new GradientError(
      "ScatterElements with a reduction is not differentiated",
    );
  const e = c.e;
  const [, idx, upd] = c.n.input as [string, string, string];
  const axis = { axis: { int: c.n.int("axis") ?? 0 } };
  const out: Grads = [];
  if (c.wants(0))
    out[0] = e.op("ScatterElements", [g, idx, e.zerosLike(upd)], axis, {
      elemType: e.typeOf(g),
      rank: e.rankOf(g),
    });
  if (c.wants(2))
    out[2] = e.op("GatherElements", [g, idx], axis, {
      elemType: e.typeOf(g),
      rank: e.rankOf(upd),
    });
  return out;
});

/** The values' gradient scattered into zeros at the indices TopK returned. */
const topkVjp = dataInputRule((c, g, x) => {
  const e = c.e;
  return e.op(
    "ScatterElements",
    [e.zerosLike(x), c.n.output[1]!, g],
    { axis: { int: c.n.int("axis") ?? -1 } },
    { elemType: e.typeOf(x), rank: e.rankOf(x) },
  );
});

/** The gradient masked by the same triangle. */
const triluVjp = dataInputRule((c, g) => {
  const k = c.n.input[1] ? [c.n.input[1]] : [];
  return c.e.op("Trilu", [g, ...k], {
    upper: { int: c.n.int("upper") ?? 1 },
  });
});

/** Rules of the operators that pick, place or mask elements by position. */
export const INDEXING_RULES: Readonly<Record<string, VjpRule>> = {
  Gather: gatherVjp,
  Slice: sliceVjp,
  ScatterElements: scatterElementsVjp,
  TopK: topkVjp,
  Trilu: triluVjp,
};
