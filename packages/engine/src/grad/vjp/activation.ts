import type { Emitter } from "../emitter.ts";
import { GradientError } from "../gradient-error.ts";
import { dataInputRule, mul, type RuleContext, type VjpRule } from "./rule.ts";

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

/**
 * GELU's derivative with the tanh approximation: with
 * u = √(2/π)(x + 0.044715x³),
 * ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
 */
function geluTanhDerivative(e: Emitter, x: string): string {
  const k = (v: number) => e.scalar(v, x);
  const add = (a: string, b: string) => e.op("Add", [a, b]);
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
  return add(
    mul(e, k(0.5), add(k(1), t)),
    mul(e, mul(e, k(0.5), x), mul(e, sech2, du)),
  );
}

/** Exact GELU's derivative: Φ(x) + x·φ(x). */
function geluErfDerivative(e: Emitter, x: string): string {
  const k = (v: number) => e.scalar(v, x);
  const add = (a: string, b: string) => e.op("Add", [a, b]);
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
  return add(cdf, mul(e, x, pdf));
}

/** Rules of activation functions and softmaxes. */
export const ACTIVATION_RULES: Readonly<Record<string, VjpRule>> = {
  Tanh: dataInputRule((c, g, _x, y) =>
    mul(c.e, g, c.e.op("Sub", [c.e.scalar(1, g), mul(c.e, y, y)])),
  ),
  Sigmoid: dataInputRule((c, g, _x, y) =>
    mul(c.e, mul(c.e, g, y), c.e.op("Sub", [c.e.scalar(1, g), y])),
  ),
  Relu: dataInputRule((c, g, x) =>
    c.e.op("Where", [
      c.e.op("Greater", [x, c.e.scalar(0, x)]),
      g,
      c.e.scalar(0, g),
    ]),
  ),
  Erf: dataInputRule((c, g, x) => {
    const e = c.e;
    const k = e.scalar(2 / Math.sqrt(Math.PI), g);
    const ex = e.op("Exp", [e.op("Neg", [mul(e, x, x)])]);
    return mul(e, mul(e, g, k), ex);
  }),
  // Opset 20's Gelu (the dynamo exporter's GELU).
  Gelu: dataInputRule((c, g, x) =>
    mul(
      c.e,
      g,
      (c.n.string("approximate") ?? "none") === "tanh"
        ? geluTanhDerivative(c.e, x)
        : geluErfDerivative(c.e, x),
    ),
  ),
  Softmax: dataInputRule((c, g, _x, y) => {
    const e = c.e;
    const axis = e.ints([softmaxAxis(c)]);
    const dot = e.reduceSum(mul(e, g, y), axis, true);
    return mul(e, y, e.op("Sub", [g, dot]));
  }),
  LogSoftmax: dataInputRule((c, g, _x, y) => {
    const e = c.e;
    const axis = e.ints([softmaxAxis(c)]);
    const sum = e.reduceSum(g, axis, true);
    return e.op("Sub", [g, mul(e, e.op("Exp", [y]), sum)]);
  }),
};
