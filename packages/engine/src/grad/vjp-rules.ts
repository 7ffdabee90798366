import type { AttributeValue } from "../onnx/onnx-bytes.ts";
import type { Emitter } from "./emitter.ts";
import type { NodeView } from "./program.ts";

/** What a rule gets: the node, the gradients of its outputs, which inputs need one. */
export interface RuleContext {
  readonly n: NodeView;
  readonly e: Emitter;
  /** The gradient of output j, or undefined where none flows back (zero). */
  g(j: number): string | undefined;
  /** True when input i needs a gradient. */
  wants(i: number): boolean;
}

/** A vector-Jacobian product: the gradient of each input (undefined: none). */
export type VjpRule = (c: RuleContext) => (string | undefined)[];

/** Raised when a program cannot be differentiated; the message names the operator. */
export class GradientError extends Error {
  override readonly name = "GradientError";
  readonly code = "GRADIENT";
}

/**
 * Operators whose outputs carry no gradient (integer, boolean or piecewise
 * constant results): differentiating through them gives zero, as in PyTorch.
 */
export const NON_DIFFERENTIABLE = new Set([
  "Shape",
  "Size",
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
  "Not",
  "And",
  "Or",
  "Xor",
  "ArgMax",
  "ArgMin",
  "NonZero",
  "ConstantOfShape",
  "Constant",
  "Range",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "IsNaN",
  "IsInf",
  "OneHot",
  "EyeLike",
  "RandomNormal",
  "RandomUniform",
  "RandomNormalLike",
  "RandomUniformLike",
  "Bernoulli",
]);

const same = (c: RuleContext, x: string, g: string) =>
  c.e.unbroadcastIfNeeded(g, x, c.n.input);

/** `g` for every wanted input that is the node's data input (index 0). */
const passFirst =
  (f: (c: RuleContext, g: string) => string): VjpRule =>
  (c) => {
    const g = c.g(0);
    return [g && c.wants(0) ? f(c, g) : undefined];
  };

const mul = (e: Emitter, a: string, b: string) =>
  e.op("Mul", [a, b], {}, { elemType: e.typeOf(a) });

/** The softmax axis of opset 13 and later (one axis; earlier opsets flatten). */
function softmaxAxis(c: RuleContext): number {
  const axis = c.n.int("axis") ?? -1;
  if (c.e.opset < 13) {
    const r = c.e.rankOf(c.n.input[0]!);
    if (r === undefined || (axis !== -1 && axis !== r - 1))
      throw new GradientError(
        `${c.n.opType} before opset 13 over axis ${axis}: only the last axis is differentiated`,
      );
  }
  return axis;
}

/** Axes of a reduction, from its attribute (older opsets) or its second input. */
function reduceAxes(c: RuleContext): readonly number[] | undefined {
  const attr = c.n.ints("axes");
  if (attr) return attr;
  const input = c.n.input[1];
  if (!input) return undefined;
  const v = c.e.facts.get(input)?.value;
  if (!v)
    throw new GradientError(
      `${c.n.opType} node ${c.n.name || c.n.output[0]} reduces over axes computed at run time; its gradient needs constant axes`,
    );
  return v;
}

/** The reduced gradient broadcast back over the reduced axes (keepdims form). */
function expandReduced(c: RuleContext, g: string): string {
  const keep = (c.n.int("keepdims") ?? 1) === 1;
  const axes = reduceAxes(c);
  const x = c.n.input[0]!;
  const kept = keep || axes === undefined ? g : c.e.unsqueeze(g, axes);
  return c.e.op(
    "Expand",
    [kept, c.e.op("Shape", [x])],
    {},
    {
      elemType: c.e.typeOf(g),
      rank: c.e.rankOf(x),
    },
  );
}

/** The rank of `t`, or an error naming what needs it. */
function rankFor(c: RuleContext, t: string): number {
  const r = c.e.rankOf(t);
  if (r === undefined)
    throw new GradientError(
      `${c.n.opType} node ${c.n.name || c.n.output[0]}: the rank of ${t} is not known before running, and its gradient needs it`,
    );
  return r;
}

const swapLast = (r: number) => {
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return perm;
};

function matmulVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g) return [undefined, undefined];
  const e = c.e;
  let [a, b] = [c.n.input[0]!, c.n.input[1]!];
  // Ranks are needed for vectors only; a matrix of unknown rank is
  // transposed by Einsum, whose ellipsis covers any batch axes.
  const [ra, rb] = [e.rankOf(a) ?? 2, e.rankOf(b) ?? 2];
  let gg = g;
  // Vectors become matrices (PyTorch's rule), and back at the end.
  if (ra === 1) {
    a = e.unsqueeze(a, [0]);
    gg = e.unsqueeze(gg, [-2]);
  }
  if (rb === 1) {
    b = e.unsqueeze(b, [1]);
    gg = e.unsqueeze(gg, [-1]);
  }
  const transpose = (x: string) => {
    const r = e.rankOf(x);
    return r === undefined
      ? e.op(
          "Einsum",
          [x],
          { equation: { string: "...ij->...ji" } },
          {
            elemType: e.typeOf(x),
          },
        )
      : e.op(
          "Transpose",
          [x],
          { perm: { ints: swapLast(r) } },
          {
            elemType: e.typeOf(x),
            rank: r,
          },
        );
  };
  const out: (string | undefined)[] = [undefined, undefined];
  // Known ranks: the transposes happen inside the product (FusedMatMul).
  const fused = e.rankOf(a) !== undefined && e.rankOf(b) !== undefined;
  if (c.wants(0) && fused) {
    const ga = e.unbroadcast(
      e.fusedMatMul(gg, b, false, true, { elemType: e.typeOf(g) }),
      a,
    );
    out[0] = ra === 1 ? e.reshapeLike(ga, c.n.input[0]!) : ga;
  } else if (c.wants(0)) {
    let ga = e.op(
      "MatMul",
      [gg, transpose(b)],
      {},
      {
        elemType: e.typeOf(g),
      },
    );
    ga = e.unbroadcast(ga, a);
    out[0] = ra === 1 ? e.reshapeLike(ga, c.n.input[0]!) : ga;
  }
  if (c.wants(1) && fused) {
    const gb = e.unbroadcast(
      e.fusedMatMul(a, gg, true, false, { elemType: e.typeOf(g) }),
      b,
    );
    out[1] = rb === 1 ? e.reshapeLike(gb, c.n.input[1]!) : gb;
  } else if (c.wants(1)) {
    let gb = e.op(
      "MatMul",
      [transpose(a), gg],
      {},
      {
        elemType: e.typeOf(g),
      },
    );
    gb = e.unbroadcast(gb, b);
    out[1] = rb === 1 ? e.reshapeLike(gb, c.n.input[1]!) : gb;
  }
  return out;
}

function gemmVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (!g) return out;
  const e = c.e;
  const [a, b, cc] = [c.n.input[0]!, c.n.input[1]!, c.n.input[2]];
  const alpha = c.n.float("alpha") ?? 1;
  const beta = c.n.float("beta") ?? 1;
  const ta = c.n.int("transA") ?? 0;
  const tb = c.n.int("transB") ?? 0;
  const gemm = (x: string, y: string, tx: number, ty: number) =>
    e.op(
      "Gemm",
      [x, y],
      { alpha: { float: alpha }, transA: { int: tx }, transB: { int: ty } },
      { elemType: e.typeOf(g), rank: 2 },
    );
  if (c.wants(0)) out[0] = ta === 0 ? gemm(g, b, 0, 1 - tb) : gemm(b, g, tb, 1);
  if (c.wants(1)) out[1] = tb === 0 ? gemm(a, g, 1 - ta, 0) : gemm(g, a, 1, ta);
  if (cc && c.wants(2)) {
    const scaled = beta === 1 ? g : mul(e, g, e.scalar(beta, g));
    out[2] = e.unbroadcast(scaled, cc);
  }
  return out;
}

function reduceVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g || !c.wants(0)) return [undefined];
  const e = c.e;
  const x = c.n.input[0]!;
  const y = c.n.output[0]!;
  const gx = expandReduced(c, g);
  switch (c.n.opType) {
    case "ReduceSum":
      return [gx];
    case "ReduceMean": {
      const count = e.castLike(
        e.op("Div", [e.op("Size", [x]), e.op("Size", [y])]),
        g,
      );
      return [e.op("Div", [gx, count], {}, { elemType: e.typeOf(g) })];
    }
    case "ReduceL2": {
      const yy = expandReduced(c, y);
      return [e.op("Div", [mul(e, gx, x), yy], {}, { elemType: e.typeOf(g) })];
    }
    case "ReduceL1":
      return [mul(e, gx, e.op("Sign", [x]))];
    default: {
      // ReduceMax/ReduceMin: shared evenly among the elements equal to the result.
      const yy = expandReduced(c, y);
      const mask = e.castLike(e.op("Equal", [x, yy]), g);
      const keepAxes = reduceAxes(c);
      const count =
        keepAxes === undefined
          ? e.op("ReduceSum", [mask], { keepdims: { int: 1 } })
          : e.reduceSum(mask, e.ints(keepAxes), true);
      return [
        e.op("Div", [mul(e, gx, mask), count], {}, { elemType: e.typeOf(g) }),
      ];
    }
  }
}

function gatherVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g || !c.wants(0)) return [undefined, undefined];
  const e = c.e;
  const [x, idx] = [c.n.input[0]!, c.n.input[1]!];
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
      `Gather node ${c.n.name || c.n.output[0]} with ${ri}-D indices on a differentiated tensor: only scalar and 1-D indices are differentiated`,
    );
  // A list may repeat an index: its gradients add (reduction from opset 16).
  if (ri === 1 && e.opset < 16)
    throw new GradientError(
      `Gather node ${c.n.name || c.n.output[0]} with a 1-D index list needs opset 16 to be differentiated (the model has ${e.opset})`,
    );
  const reduction: Record<string, AttributeValue> =
    ri === 1 ? { reduction: { string: "add" } } : {};
  return [
    e.op(
      "ScatterElements",
      [e.zerosLike(x), indices, updates],
      { axis: { int: ax }, ...reduction },
      { elemType: e.typeOf(x), rank: rx },
    ),
    undefined,
  ];
}

/** `x[slices]`: the gradient scattered into zeros through an iota of x's positions. */
function sliceVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g || !c.wants(0)) return [undefined];
  const e = c.e;
  const x = c.n.input[0]!;
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
  return [
    e.op(
      "Reshape",
      [flat, shape],
      {},
      {
        elemType: e.typeOf(x),
        rank: e.rankOf(x),
      },
    ),
  ];
}

function concatVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g) return c.n.input.map(() => undefined);
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
}

function splitVjp(c: RuleContext): (string | undefined)[] {
  const grads = c.n.output.map((_, j) => c.g(j));
  if (!c.wants(0) || grads.every((g) => !g)) return [undefined];
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

function whereVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (!g) return out;
  const e = c.e;
  const cond = c.n.input[0]!;
  const zero = e.scalar(0, g);
  if (c.wants(1))
    out[1] = same(
      c,
      c.n.input[1]!,
      e.op("Where", [cond, g, zero], {}, { elemType: e.typeOf(g) }),
    );
  if (c.wants(2))
    out[2] = same(
      c,
      c.n.input[2]!,
      e.op("Where", [cond, zero, g], {}, { elemType: e.typeOf(g) }),
    );
  return out;
}

function padVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g || !c.wants(0)) return [undefined];
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
  return [
    e.op(
      "Slice",
      [g, begin, stop],
      {},
      {
        elemType: e.typeOf(g),
        rank: e.rankOf(g),
      },
    ),
  ];
}

function scatterElementsVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (!g) return out;
  if ((c.n.string("reduction") ?? "none") !== "none")
    throw new GradientError(
      "ScatterElements with a reduction is not differentiated",
    );
  const e = c.e;
  const [, idx, upd] = c.n.input as [string, string, string];
  const axis = { axis: { int: c.n.int("axis") ?? 0 } };
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
}

function topkVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  if (!g || !c.wants(0)) return [undefined, undefined];
  const e = c.e;
  const x = c.n.input[0]!;
  return [
    e.op(
      "ScatterElements",
      [e.zerosLike(x), c.n.output[1]!, g],
      { axis: { int: c.n.int("axis") ?? -1 } },
      { elemType: e.typeOf(x), rank: e.rankOf(x) },
    ),
    undefined,
  ];
}

function binaryVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  const out: (string | undefined)[] = [undefined, undefined];
  if (!g) return out;
  const e = c.e;
  const [a, b] = [c.n.input[0]!, c.n.input[1]!];
  const y = c.n.output[0]!;
  const t = { elemType: e.typeOf(g) };
  const grads: [() => string, () => string] = (() => {
    switch (c.n.opType) {
      case "Add":
        return [() => g, () => g];
      case "Sub":
        return [() => g, () => e.op("Neg", [g], {}, t)];
      case "Mul":
        return [() => mul(e, g, b), () => mul(e, g, a)];
      case "Div":
        return [
          () => e.op("Div", [g, b], {}, t),
          () => e.op("Neg", [e.op("Div", [mul(e, g, y), b], {}, t)], {}, t),
        ];
      case "Pow":
        return [
          () =>
            mul(
              e,
              mul(e, g, b),
              e.op("Pow", [a, e.op("Sub", [b, e.scalar(1, b)], {}, t)], {}, t),
            ),
          () => mul(e, mul(e, g, y), e.op("Log", [a], {}, t)),
        ];
      default: {
        // Max / Min of two: ties share the gradient evenly, as in PyTorch.
        const ma = e.castLike(e.op("Equal", [a, y]), g);
        const mb = e.castLike(e.op("Equal", [b, y]), g);
        const both = e.op("Add", [ma, mb], {}, t);
        return [
          () => e.op("Div", [mul(e, g, ma), both], {}, t),
          () => e.op("Div", [mul(e, g, mb), both], {}, t),
        ];
      }
    }
  })();
  if (c.wants(0)) out[0] = same(c, a, grads[0]());
  if (c.wants(1)) out[1] = same(c, b, grads[1]());
  return out;
}

const unary =
  (f: (c: RuleContext, g: string, x: string, y: string) => string): VjpRule =>
  (c) => {
    const g = c.g(0);
    if (!g || !c.wants(0)) return c.n.input.map(() => undefined);
    return [f(c, g, c.n.input[0]!, c.n.output[0]!)];
  };

/**
 * LayerNormalization (opset 17) over axes [axis, rank): with x̂ the normalized
 * input and ĝ = g · scale, dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)) / σ, the
 * means over the normalized axes; dscale = Σ g · x̂, dbias = Σ g.
 */
function layerNormVjp(c: RuleContext): (string | undefined)[] {
  const g = c.g(0);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (!g) return out;
  const e = c.e;
  const [x, scale, bias] = c.n.input as [string, string, string | undefined];
  const axis = c.n.int("axis") ?? -1;
  const eps = c.n.float("epsilon") ?? 1e-5;
  let axes: number[];
  if (axis < 0) axes = Array.from({ length: -axis }, (_, i) => axis + i);
  else {
    const r = rankFor(c, x);
    axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  }
  const t = { elemType: e.typeOf(g) };
  const centered = e.op("Sub", [x, e.reduceMean(x, axes, true)], {}, t);
  const variance = e.reduceMean(mul(e, centered, centered), axes, true);
  const sigma = e.op(
    "Sqrt",
    [e.op("Add", [variance, e.scalar(eps, g)], {}, t)],
    {},
    t,
  );
  const xhat = e.op("Div", [centered, sigma], {}, t);
  if (c.wants(0)) {
    const gh = mul(e, g, scale);
    const inner = e.op(
      "Sub",
      [
        e.op("Sub", [gh, e.reduceMean(gh, axes, true)], {}, t),
        mul(e, xhat, e.reduceMean(mul(e, gh, xhat), axes, true)),
      ],
      {},
      t,
    );
    out[0] = e.op("Div", [inner, sigma], {}, { ...t, rank: e.rankOf(x) });
  }
  if (c.wants(1)) out[1] = e.unbroadcast(mul(e, g, xhat), scale);
  if (bias && c.wants(2)) out[2] = e.unbroadcast(g, bias);
  return out;
}

/** The vector-Jacobian product of each differentiated ONNX operator. */
export const VJP_RULES: Record<string, VjpRule> = {
  Identity: passFirst((_, g) => g),
  Cast: passFirst((c, g) => c.e.castLike(g, c.n.input[0]!)),
  CastLike: (c) => [
    passFirst((cc, g) => cc.e.castLike(g, cc.n.input[0]!))(c)[0],
    undefined,
  ],
  Reshape: (c) => [
    passFirst((cc, g) => cc.e.reshapeLike(g, cc.n.input[0]!))(c)[0],
    undefined,
  ],
  Squeeze: (c) => [
    passFirst((cc, g) => cc.e.reshapeLike(g, cc.n.input[0]!))(c)[0],
    undefined,
  ],
  Unsqueeze: (c) => [
    passFirst((cc, g) => cc.e.reshapeLike(g, cc.n.input[0]!))(c)[0],
    undefined,
  ],
  Flatten: passFirst((c, g) => c.e.reshapeLike(g, c.n.input[0]!)),
  Expand: (c) => [
    passFirst((cc, g) => cc.e.unbroadcast(g, cc.n.input[0]!))(c)[0],
    undefined,
  ],
  Transpose: passFirst((c, g) => {
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
  }),
  Neg: unary((c, g) => c.e.op("Neg", [g])),
  Abs: unary((c, g, x) => mul(c.e, g, c.e.op("Sign", [x]))),
  Exp: unary((c, g, _x, y) => mul(c.e, g, y)),
  Log: unary((c, g, x) => c.e.op("Div", [g, x])),
  Sqrt: unary((c, g, _x, y) =>
    c.e.op("Div", [mul(c.e, g, c.e.scalar(0.5, g)), y]),
  ),
  Reciprocal: unary((c, g, _x, y) =>
    c.e.op("Neg", [mul(c.e, g, mul(c.e, y, y))]),
  ),
  Tanh: unary((c, g, _x, y) =>
    mul(c.e, g, c.e.op("Sub", [c.e.scalar(1, g), mul(c.e, y, y)])),
  ),
  Sigmoid: unary((c, g, _x, y) =>
    mul(c.e, mul(c.e, g, y), c.e.op("Sub", [c.e.scalar(1, g), y])),
  ),
  Relu: unary((c, g, x) =>
    c.e.op("Where", [
      c.e.op("Greater", [x, c.e.scalar(0, x)]),
      g,
      c.e.scalar(0, g),
    ]),
  ),
  Erf: unary((c, g, x) => {
    const e = c.e;
    const k = e.scalar(2 / Math.sqrt(Math.PI), g);
    const ex = e.op("Exp", [e.op("Neg", [mul(e, x, x)])]);
    return mul(e, mul(e, g, k), ex);
  }),
  // Opset 20's Gelu (the dynamo exporter's GELU). Exact: Φ(x) + x·φ(x);
  // tanh: with u = √(2/π)(x + 0.044715x³),
  // ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
  Gelu: unary((c, g, x) => {
    const e = c.e;
    const k = (v: number) => e.scalar(v, x);
    const add = (a: string, b: string) => e.op("Add", [a, b]);
    if ((c.n.string("approximate") ?? "none") === "tanh") {
      const x2 = mul(e, x, x);
      const inner = mul(
        e,
        k(Math.sqrt(2 / Math.PI)),
        add(x, mul(e, k(0.044715), mul(e, x2, x))),
      );
      const t = e.op("Tanh", [inner]);
      const du = mul(
        e,
        k(Math.sqrt(2 / Math.PI)),
        add(k(1), mul(e, k(3 * 0.044715), x2)),
      );
      const sech2 = e.op("Sub", [k(1), mul(e, t, t)]);
      const d = add(
        mul(e, k(0.5), add(k(1), t)),
        mul(e, mul(e, k(0.5), x), mul(e, sech2, du)),
      );
      return mul(e, g, d);
    }
    const cdf = mul(
      e,
      k(0.5),
      add(k(1), e.op("Erf", [mul(e, x, k(Math.SQRT1_2))])),
    );
    const pdf = mul(
      e,
      k(1 / Math.sqrt(2 * Math.PI)),
      e.op("Exp", [mul(e, k(-0.5), mul(e, x, x))]),
    );
    return mul(e, g, add(cdf, mul(e, x, pdf)));
  }),
  Sin: unary((c, g, x) => mul(c.e, g, c.e.op("Cos", [x]))),
  Cos: unary((c, g, x) => c.e.op("Neg", [mul(c.e, g, c.e.op("Sin", [x]))])),
  Softmax: unary((c, g, _x, y) => {
    const e = c.e;
    const axis = e.ints([softmaxAxis(c)]);
    const dot = e.reduceSum(mul(e, g, y), axis, true);
    return mul(e, y, e.op("Sub", [g, dot]));
  }),
  LogSoftmax: unary((c, g, _x, y) => {
    const e = c.e;
    const axis = e.ints([softmaxAxis(c)]);
    const sum = e.reduceSum(g, axis, true);
    return e.op("Sub", [g, mul(e, e.op("Exp", [y]), sum)]);
  }),
  Trilu: (c) => {
    const g = c.g(0);
    if (!g || !c.wants(0)) return [undefined, undefined];
    const k = c.n.input[1] ? [c.n.input[1]] : [];
    return [
      c.e.op("Trilu", [g, ...k], { upper: { int: c.n.int("upper") ?? 1 } }),
      undefined,
    ];
  },
  Add: binaryVjp,
  Sub: binaryVjp,
  Mul: binaryVjp,
  Div: binaryVjp,
  Pow: binaryVjp,
  Max: (c) => (c.n.input.length === 2 ? binaryVjp(c) : unsupported(c)),
  Min: (c) => (c.n.input.length === 2 ? binaryVjp(c) : unsupported(c)),
  MatMul: matmulVjp,
  Gemm: gemmVjp,
  LayerNormalization: layerNormVjp,
  ReduceSum: reduceVjp,
  ReduceMean: reduceVjp,
  ReduceMax: reduceVjp,
  ReduceMin: reduceVjp,
  ReduceL1: reduceVjp,
  ReduceL2: reduceVjp,
  Gather: gatherVjp,
  Slice: sliceVjp,
  Concat: concatVjp,
  Split: splitVjp,
  Where: whereVjp,
  Pad: padVjp,
  ScatterElements: scatterElementsVjp,
  TopK: topkVjp,
};

function unsupported(c: RuleContext): never {
  throw new GradientError(
    `no gradient rule for ONNX operator ${c.n.opType} with ${c.n.input.length} inputs`,
  );
}
