import type { GraphNode } from "../format/graph-schema.ts";
import { isFloat, type DType } from "../ir/dtype.ts";
import type { Op } from "../ir/ops.ts";
import { knownSize } from "../ir/shape.ts";
import { decodeElements, encodeElements } from "../trace/encode-constant.ts";
import { promoteTypes, shapeRules } from "../validate/shape-rules.ts";
import type { ValueType } from "../validate/value-type.ts";
import { type RewritePass } from "./rewrite-pass.ts";

/** Folded results larger than this stay as operations (constants travel in the graph). */
const MAX_FOLDED_ELEMENTS = 4096;

type Scalar = (x: number) => number;
type Pair = (a: number, b: number) => number;

/**
 * Elementwise operations folded here, chosen because float32 evaluation in
 * JavaScript is exact for them (IEEE-correct rounding of +, -, ×, ÷ and √ of
 * float32 inputs computed in float64 then rounded once), so a folded graph gives
 * bit-for-bit what ONNX Runtime would. Transcendental ops (exp, log, tanh, …) are
 * left to the engine, whose results may differ in the last bit.
 */
const UNARY: Partial<Record<Op, Scalar>> = {
  neg: (x) => -x,
  abs: Math.abs,
  // NaN stays NaN, as in PyTorch and ONNX Runtime.
  relu: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
  sqrt: Math.sqrt,
};
const BINARY: Partial<Record<Op, Pair>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: Math.max,
  minimum: Math.min,
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
  lt: (a, b) => Number(a < b),
  le: (a, b) => Number(a <= b),
  gt: (a, b) => Number(a > b),
  ge: (a, b) => Number(a >= b),
};

/** Rounds a value to what `dtype` can hold (float32 rounding, integer truncation). */
function roundTo(dtype: DType, v: number): number {
  if (dtype === "float32") return Math.fround(v);
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  if (!isFloat(dtype)) return Number.isFinite(v) ? Math.trunc(v) : v;
  return v;
}

/** The elements of `values` (of `shape`) broadcast to `target`. */
function broadcastTo(
  values: number[],
  shape: readonly number[],
  target: readonly number[],
): number[] {
  const size = target.reduce((p, d) => p * d, 1);
  const out = new Array<number>(size);
  const offset = target.length - shape.length;
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    let source = 0;
    let stride = 1;
    for (let axis = target.length - 1; axis >= 0; axis--) {
      const coord = rest % target[axis]!;
      rest = Math.floor(rest / target[axis]!);
      const dim = axis - offset >= 0 ? shape[axis - offset]! : 1;
      if (axis - offset >= 0) {
        source += (dim === 1 ? 0 : coord) * stride;
        stride *= dim;
      }
    }
    out[flat] = values[source]!;
  }
  return out;
}

/**
 * Constant folding: an exact elementwise operation (or reshape, or cast) whose
 * args are all constants becomes a constant. float16 is left alone.
 */
export const foldConstants: RewritePass = {
  name: "fold-constants",
  run(graph) {
    const constants = new Map<string, Extract<GraphNode, { op: "constant" }>>();
    let changed = false;
    const nodes = graph.nodes.map((node): GraphNode => {
      if (node.op === "constant") {
        constants.set(node.id, node);
        return node;
      }
      const args = node.args.map((a) => constants.get(a));
      if (args.length === 0 || args.some((a) => a === undefined)) return node;
      const inputs = args as Extract<GraphNode, { op: "constant" }>[];
      if (inputs.some((c) => c.dtype === "float16")) return node;
      const types: ValueType[] = inputs.map((c) => ({
        dtype: c.dtype,
        shape: c.shape,
        weakScalar: c.shape.length === 0,
      }));
      const rule = shapeRules[node.op](node, types);
      if (
        "error" in rule ||
        rule.type === null ||
        rule.type.dtype === "float16"
      )
        return node;
      const shape = rule.type.shape;
      const size = knownSize(shape);
      if (
        size === undefined ||
        size > MAX_FOLDED_ELEMENTS ||
        !shape.every((d): d is number => typeof d === "number")
      )
        return node;
      const dtype = rule.type.dtype;
      const decoded = inputs.map((c) => decodeElements(c.data, c.dtype));
      let values: number[] | undefined;
      const unary = UNARY[node.op];
      const binary = BINARY[node.op];
      if (unary) values = decoded[0]!.map((x) => roundTo(dtype, unary(x)));
      else if (binary) {
        const a = broadcastTo(decoded[0]!, inputs[0]!.shape, shape);
        const b = broadcastTo(decoded[1]!, inputs[1]!.shape, shape);
        // Operands in their common type; the result in the result's (bool for comparisons).
        const common = promoteTypes(types[0]!, types[1]!);
        values = a.map((x, i) =>
          roundTo(dtype, binary(roundTo(common, x), roundTo(common, b[i]!))),
        );
      } else if (node.op === "reshape" || node.op === "cast")
        values = decoded[0]!.map((x) => roundTo(dtype, x));
      if (!values) return node;
      // Integers JavaScript cannot hold exactly, and float -> integer casts of
      // NaN, infinities or out-of-range values (whose result ONNX Runtime
      // defines, not the language), are left to the engine.
      if (!isFloat(dtype) && dtype !== "bool") {
        const limit = dtype === "int32" ? 2 ** 31 : 2 ** 53;
        if (
          !values.every((v) => Number.isFinite(v) && v >= -limit && v < limit)
        )
          return node;
      }
      changed = true;
      const folded: GraphNode = {
        id: node.id,
        trace: node.trace,
        invoke: node.invoke,
        op: "constant",
        args: [],
        dtype,
        shape: [...shape],
        data: encodeElements(values, dtype),
      };
      constants.set(node.id, folded);
      return folded;
    });
    return changed ? { ...graph, nodes } : graph;
  },
};
