import type { Emitter } from "../emitter.ts";
import { GradientError } from "../gradient-error.ts";
import type { NodeView } from "../program.ts";

/** What a rule gets: the node, the gradients of its outputs, which inputs need one. */
export interface RuleContext {
  readonly n: NodeView;
  readonly e: Emitter;
  /** The gradient of output j, or undefined where none flows back (zero). */
  g(j: number): string | undefined;
  /** True when input i needs a gradient. */
  wants(i: number): boolean;
}

/** The gradient of each input, by index (undefined or missing: none). */
export type Grads = (string | undefined)[];

/** A vector-Jacobian product: the gradient of each input. */
export type VjpRule = (c: RuleContext) => Grads;

/**
 * A rule of an operator whose first output is the one differentiated: `f`
 * runs only when a gradient reaches it, and gives the inputs' gradients.
 */
export const fromOutput =
  (f: (c: RuleContext, g: string) => Grads): VjpRule =>
  (c) => {
    const g = c.g(0);
    return g ? f(c, g) : [];
  };

/**
 * A rule whose only gradient goes to the node's data input (input 0): `f`
 * gets the output's gradient `g`, the input `x` and the output `y`, and runs
 * only when `g` exists and `x` needs a gradient.
 */
export const dataInputRule =
  (f: (c: RuleContext, g: string, x: string, y: string) => string): VjpRule =>
  (c) => {
    const g = c.g(0);
    return g && c.wants(0) ? [f(c, g, c.n.input[0]!, c.n.output[0]!)] : [];
  };

/** `a · b` elementwise, of `a`'s type. */
export const mul = (e: Emitter, a: string, b: string): string =>
  e.op("Mul", [a, b], {}, { elemType: e.typeOf(a) });

/** A node's name for messages: its own, or its first output's. */
export const nodeLabel = (n: NodeView): string => n.name || n.output[0]!;

/** The gradient `g` of operand `x` of an elementwise node, summed back over what was broadcast. */
export const unbroadcastOperand = (
  c: RuleContext,
  x: string,
  g: string,
): string => c.e.unbroadcastIfNeeded(g, x, c.n.input);

/** The rank of `t`, or an error naming what needs it. */
export function rankFor(c: RuleContext, t: string): number {
  const r = c.e.rankOf(t);
  if (r === undefined)
    throw new GradientError(
      `${c.n.opType} node ${nodeLabel(c.n)}: the rank of ${t} is not known before running, and its gradient needs it`,
    );
  return r;
}
