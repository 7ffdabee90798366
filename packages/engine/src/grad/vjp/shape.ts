import { GradientError } from "../gradient-error.ts";
import {
  dataInputRule,
  fromOutput,
  type Grads,
  type RuleContext,
  type VjpRule,
} from "./rule.ts";

/** The gradient reshaped back to the input's shape (a view of the same elements). */
const reshapeBack = dataInputRule((c, g, x) => c.e.reshapeLike(g, x));

/** The gradient cast back to the input's type. */
const castBack = dataInputRule((c, g, x) => c.e.castLike(g, x));

const transposeVjp = dataInputRule((c, g) => {
  const perm = c.n.ints("perm");
  if (!perm) return c.e.op("Transpose", [g]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return c.e.op(
    "Transpose",
    [g],
    { perm: { ints: inverse } },
    {
      elemType: c.e.typeOf(g),
      rank: perm.length,
    },
  );
});

/** Each input's part of the gradient, split at the inputs' sizes along the axis. */
const concatVjp = fromOutput((c, g) => {
  const e = c.e;
  const axis = c.n.int("axis") ?? 0;
  const sizes = e.op(
    "Concat",
    c.n.input.map((x) =>
      e.op("Gather", [e.op("Shape", [x]), e.ints([axis])], {
        axis: { int: 0 },
      }),
    ),
    { axis: { int: 0 } },
  );
  const parts = e.opN("Split", [g, sizes], c.n.input.length, {
    axis: { int: axis },
  });
  parts.forEach((p, i) =>
    e.facts.set(p, { elemType: e.typeOf(g), rank: e.rankOf(c.n.input[i]!) }),
  );
  return parts.map((p, i) => (c.wants(i) ? p : undefined));
});

/** The outputs' gradients concatenated back, zeros for outputs none reached. */
function splitVjp(c: RuleContext): Grads {
  const grads = c.n.output.map((_, j) => c.g(j));
  if (!c.wants(0) || grads.every((g) => !g)) return [];
  const e = c.e;
  const parts = c.n.output.map((y, j) => grads[j] ?? e.zerosLike(y));
  return [
    e.op(
      "Concat",
      parts,
      { axis: { int: c.n.int("axis") ?? 0 } },
      {
        elemType: e.typeOf(c.n.input[0]!),
        rank: e.rankOf(c.n.input[0]!),
      },
    ),
  ];
}

/** Constant padding: the gradient sliced back to the unpadded region. */
const padVjp = dataInputRule((c, g) => {
  const mode = c.n.string("mode") ?? "constant";
  if (mode !== "constant")
    throw new GradientError(`Pad in mode ${mode} is not differentiated`);
  const e = c.e;
  const pads = c.n.input[1]!;
  if (c.n.input[3])
    throw new GradientError("Pad with an axes input is not differentiated");
  const half = e.op("Reshape", [
    e.op("Div", [e.op("Size", [pads]), e.ints([2], true)]),
    e.ints([1]),
  ]);
  const begin = e.op("Slice", [pads, e.ints([0]), half]);
  const end = e.op("Slice", [pads, half, e.ints([2 ** 53])]);
  const stop = e.op("Sub", [e.op("Shape", [g]), end]);
  return e.op(
    "Slice",
    [g, begin, stop],
    {},
    {
      elemType: e.typeOf(g),
      rank: e.rankOf(g),
    },
  );
});

/** Rules of the operators that move, view or retype elements without computing on them. */
export const SHAPE_RULES: Readonly<Record<string, VjpRule>> = {
  Identity: dataInputRule((_, g) => g),
  Cast: castBack,
  CastLike: castBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Flatten: reshapeBack,
  Expand: dataInputRule((c, g, x) => c.e.unbroadcast(g, x)),
  Transpose: transposeVjp,
  Concat: concatVjp,
  Split: splitVjp,
  Pad: padVjp,
};
