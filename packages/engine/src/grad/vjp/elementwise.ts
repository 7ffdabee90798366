import type { Emitter } from "../emitter.ts";
import { GradientError } from "../gradient-error.ts";
import {
  dataInputRule,
  fromOutput,
  mul,
  unbroadcastOperand,
  type Grads,
  type VjpRule,
} from "./rule.ts";

/**
 * The two operands' gradients of a binary operator `y = a op b`, before
 * unbroadcasting, each emitted only when asked for.
 */
type BinaryGrads = (
  e: Emitter,
  g: string,
  a: string,
  b: string,
  y: string,
) => [() => string, () => string];

/** Max / Min of two: ties share the gradient evenly, as in PyTorch. */
const extremumGrads: BinaryGrads = (e, g, a, b, y) => {
  const t = { elemType: e.typeOf(g) };
  const ma = e.castLike(e.op("Equal", [a, y]), g);
  const mb = e.castLike(e.op("Equal", [b, y]), g);
  const both = e.op("Add", [ma, mb], {}, t);
  return [
    () => e.op("Div", [mul(e, g, ma), both], {}, t),
    () => e.op("Div", [mul(e, g, mb), both], {}, t),
  ];
};

const BINARY_GRADS: Readonly<Record<string, BinaryGrads>> = {
  Add: (_, g) => [() => g, () => g],
  Sub: (e, g) => [
    () => g,
    () => e.op("Neg", [g], {}, { elemType: e.typeOf(g) }),
  ],
  Mul: (e, g, a, b) => [() => mul(e, g, b), () => mul(e, g, a)],
  Div: (e, g, _a, b, y) => {
    const t = { elemType: e.typeOf(g) };
    return [
      () => e.op("Div", [g, b], {}, t),
      () => e.op("Neg", [e.op("Div", [mul(e, g, y), b], {}, t)], {}, t),
    ];
  },
  Pow: (e, g, a, b, y) => {
    const t = { elemType: e.typeOf(g) };
    return [
      () =>
        mul(
          e,
          mul(e, g, b),
          e.op("Pow", [a, e.op("Sub", [b, e.scalar(1, b)], {}, t)], {}, t),
        ),
      () => mul(e, mul(e, g, y), e.op("Log", [a], {}, t)),
    ];
  },
  Max: extremumGrads,
  Min: extremumGrads,
};

/** A broadcasting binary operator: each operand's gradient, summed back to its shape. */
const binaryVjp = fromOutput((c, g) => {
  const [a, b] = [c.n.input[0]!, c.n.input[1]!];
  const grads = BINARY_GRADS[c.n.opType]!(c.e, g, a, b, c.n.output[0]!);
  const out: Grads = [];
  if (c.wants(0)) out[0] = unbroadcastOperand(c, a, grads[0]());
  if (c.wants(1)) out[1] = unbroadcastOperand(c, b, grads[1]());
  return out;
});

/** Max and Min of more than two inputs are not differentiated. */
const twoInputs =
  (rule: VjpRule): VjpRule =>
  (c) => {
    if (c.n.input.length === 2) return rule(c);
    throw new GradientError(
      `no gradient rule for ONNX operator ${c.n.opType} with ${c.n.input.length} inputs`,
    );
  };

/** `where(cond, a, b)`: the gradient goes to the branch each element came from. */
const whereVjp = fromOutput((c, g) => {
  const e = c.e;
  const cond = c.n.input[0]!;
  const zero = e.scalar(0, g);
  const t = { elemType: e.typeOf(g) };
  const out: Grads = [];
  if (c.wants(1))
    out[1] = unbroadcastOperand(
      c,
      c.n.input[1]!,
      e.op("Where", [cond, g, zero], {}, t),
    );
  if (c.wants(2))
    out[2] = unbroadcastOperand(
      c,
      c.n.input[2]!,
      e.op("Where", [cond, zero, g], {}, t),
    );
  return out;
});

/** Rules of elementwise arithmetic: binary operators, selection and unary functions. */
export const ELEMENTWISE_RULES: Readonly<Record<string, VjpRule>> = {
  Add: binaryVjp,
  Sub: binaryVjp,
  Mul: binaryVjp,
  Div: binaryVjp,
  Pow: binaryVjp,
  Max: twoInputs(binaryVjp),
  Min: twoInputs(binaryVjp),
  Where: whereVjp,
  Neg: dataInputRule((c, g) => c.e.op("Neg", [g])),
  Abs: dataInputRule((c, g, x) => mul(c.e, g, c.e.op("Sign", [x]))),
  Exp: dataInputRule((c, g, _x, y) => mul(c.e, g, y)),
  Log: dataInputRule((c, g, x) => c.e.op("Div", [g, x])),
  Sqrt: dataInputRule((c, g, _x, y) =>
    c.e.op("Div", [mul(c.e, g, c.e.scalar(0.5, g)), y]),
  ),
  Reciprocal: dataInputRule((c, g, _x, y) =>
    c.e.op("Neg", [mul(c.e, g, mul(c.e, y, y))]),
  ),
  Sin: dataInputRule((c, g, x) => mul(c.e, g, c.e.op("Cos", [x]))),
  Cos: dataInputRule((c, g, x) =>
    c.e.op("Neg", [mul(c.e, g, c.e.op("Sin", [x]))]),
  ),
};
