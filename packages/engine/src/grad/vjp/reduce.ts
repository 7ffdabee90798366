import { GradientError } from "../gradient-error.ts";
import {
  dataInputRule,
  mul,
  nodeLabel,
  type RuleContext,
  type VjpRule,
} from "./rule.ts";

/** Axes of a reduction, from its attribute (older opsets) or its second input. */
function reduceAxes(c: RuleContext): readonly number[] | undefined {
  const attr = c.n.ints("axes");
  if (attr) return attr;
  const input = c.n.input[1];
  if (!input) return undefined;
  const v = c.e.facts.get(input)?.value;
  if (!v)
    throw new GradientError(
      `${c.n.opType} node ${nodeLabel(c.n)} reduces over axes computed at run time; its gradient needs constant axes`,
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

/**
 * ReduceMax / ReduceMin: the gradient `gx` (broadcast back) shared evenly
 * among the elements equal to the result.
 */
function extremumGrad(
  c: RuleContext,
  g: string,
  gx: string,
  x: string,
  y: string,
): string {
  const e = c.e;
  const yy = expandReduced(c, y);
  const mask = e.castLike(e.op("Equal", [x, yy]), g);
  const keepAxes = reduceAxes(c);
  const count =
    keepAxes === undefined
      ? e.op("ReduceSum", [mask], { keepdims: { int: 1 } })
      : e.reduceSum(mask, e.ints(keepAxes), true);
  return e.op("Div", [mul(e, gx, mask), count], {}, { elemType: e.typeOf(g) });
}

/** A reduction: the gradient broadcast back over the reduced axes, then scaled as each reduction needs. */
const reduceVjp = dataInputRule((c, g, x, y) => {
  const e = c.e;
  const gx = expandReduced(c, g);
  const t = { elemType: e.typeOf(g) };
  switch (c.n.opType) {
    case "ReduceSum":
      return gx;
    case "ReduceMean": {
      const count = e.castLike(
        e.op("Div", [e.op("Size", [x]), e.op("Size", [y])]),
        g,
      );
      return e.op("Div", [gx, count], {}, t);
    }
    case "ReduceL2": {
      const yy = expandReduced(c, y);
      return e.op("Div", [mul(e, gx, x), yy], {}, t);
    }
    case "ReduceL1":
      return mul(e, gx, e.op("Sign", [x]));
    default:
      return extremumGrad(c, g, gx, x, y);
  }
});

/** Rules of reductions over axes. */
export const REDUCE_RULES: Readonly<Record<string, VjpRule>> = {
  ReduceSum: reduceVjp,
  ReduceMean: reduceVjp,
  ReduceMax: reduceVjp,
  ReduceMin: reduceVjp,
  ReduceL1: reduceVjp,
  ReduceL2: reduceVjp,
};
