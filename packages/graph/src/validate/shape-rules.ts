import { isFloat, promote, type DType } from "../ir/dtype.ts";
import { indexedShape } from "../ir/index-spec.ts";
import type { Op } from "../ir/ops.ts";
import {
  broadcastShapes,
  formatShape,
  knownSize,
  normalizeAxis,
  type Dim,
} from "../ir/shape.ts";
import type { GraphNode } from "../format/graph-schema.ts";
import type { ValueType } from "./value-type.ts";

/** The result type of a node, or the reason it has none. */
export type RuleResult =
  { readonly type: ValueType | null } | { readonly error: string };

/** Inputs of a rule: the node and the types of its args (model ops are typed by the validator). */
export type ShapeRule = (
  node: GraphNode,
  args: readonly ValueType[],
) => RuleResult;

const ok = (type: ValueType | null): RuleResult => ({ type });
const fail = (error: string): RuleResult => ({ error });
const floatOf = (d: DType): DType => (isFloat(d) ? d : "float32");

/** PyTorch's promotion, where a plain-number scalar does not widen a tensor's type. */
export function promoteTypes(a: ValueType, b: ValueType): DType {
  // A plain number of a higher category (bool < integer < float) lifts the
  // tensor to that category's default type; otherwise the tensor's type wins.
  const lift = (tensor: DType, scalar: DType): DType =>
    isFloat(scalar) && !isFloat(tensor)
      ? "float32"
      : tensor === "bool" && scalar !== "bool"
        ? "int64"
        : tensor;
  if (a.weakScalar && !b.weakScalar) return lift(b.dtype, a.dtype);
  if (b.weakScalar && !a.weakScalar) return lift(a.dtype, b.dtype);
  return promote(a.dtype, b.dtype);
}

function broadcast(
  a: ValueType,
  b: ValueType,
  what = "inputs",
): { shape: Dim[] } | { error: string } {
  const shape = broadcastShapes(a.shape, b.shape);
  return shape
    ? { shape }
    : {
        error: `${what} have shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}, which do not broadcast`,
      };
}

function reduceShape(
  shape: readonly Dim[],
  dims: readonly number[] | null,
  keepdim: boolean,
): { shape: Dim[] } | { error: string } {
  if (dims === null) return { shape: keepdim ? shape.map(() => 1) : [] };
  const axes: number[] = [];
  for (const d of dims) {
    const a = normalizeAxis(d, shape.length);
    if (a === undefined)
      return {
        error: `dimension ${d} is out of range for rank ${shape.length}`,
      };
    if (axes.includes(a)) return { error: `dimension ${d} is given twice` };
    axes.push(a);
  }
  return {
    shape: shape.flatMap((d, i) =>
      axes.includes(i) ? (keepdim ? [1] : []) : [d],
    ),
  };
}

const unaryFloat: ShapeRule = (_, [x]) =>
  ok({ dtype: floatOf(x!.dtype), shape: x!.shape });
const unarySame: ShapeRule = (node, [x]) =>
  x!.dtype === "bool"
    ? fail(`input 0 is bool; ${node.op} needs numbers`)
    : ok({ dtype: x!.dtype, shape: x!.shape });
const binary: ShapeRule = (node, [a, b]) => {
  const s = broadcast(a!, b!);
  if ("error" in s) return fail(s.error);
  const dtype = promoteTypes(a!, b!);
  return ok({
    dtype: node.op === "div" ? floatOf(dtype) : dtype,
    shape: s.shape,
  });
};
const compare: ShapeRule = (_, [a, b]) => {
  const s = broadcast(a!, b!);
  return "error" in s ? fail(s.error) : ok({ dtype: "bool", shape: s.shape });
};
const reduce: ShapeRule = (node, [x]) => {
  const n = node as Extract<GraphNode, { op: "sum" }>;
  const s = reduceShape(x!.shape, n.dims, n.keepdim);
  if ("error" in s) return fail(s.error);
  const dtype =
    node.op === "mean"
      ? floatOf(x!.dtype)
      : node.op === "sum" && x!.dtype === "bool"
        ? "int64"
        : x!.dtype;
  return ok({ dtype, shape: s.shape });
};
const argReduce: ShapeRule = (node, [x]) => {
  const n = node as Extract<GraphNode, { op: "argmax" }>;
  const s = reduceShape(x!.shape, n.dim === null ? null : [n.dim], n.keepdim);
  return "error" in s ? fail(s.error) : ok({ dtype: "int64", shape: s.shape });
};
const softmax: ShapeRule = (node, [x]) => {
  const n = node as Extract<GraphNode, { op: "softmax" }>;
  if (normalizeAxis(n.dim, x!.shape.length) === undefined)
    return fail(
      `dimension ${n.dim} is out of range for rank ${x!.shape.length}`,
    );
  return ok({ dtype: floatOf(x!.dtype), shape: x!.shape });
};

function matmul(a: ValueType, b: ValueType): RuleResult {
  if (a.shape.length === 0 || b.shape.length === 0)
    return fail("matmul needs tensors of rank 1 or more, got a scalar");
  const left = a.shape.length === 1 ? [1, a.shape[0]!] : [...a.shape];
  const right = b.shape.length === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const k1 = left[left.length - 1]!;
  const k2 = right[right.length - 2]!;
  if (typeof k1 === "number" && typeof k2 === "number" && k1 !== k2) {
    const expected =
      b.shape.length === 1
        ? `[${k1}]`
        : `[${[...b.shape.slice(0, -2).map(() => "*"), k1, "*"].join(",")}]`;
    return fail(
      `input 1 has shape ${formatShape(b.shape)}, expected ${expected}`,
    );
  }
  const batch = broadcastShapes(left.slice(0, -2), right.slice(0, -2));
  if (!batch)
    return fail(
      `batch dimensions ${formatShape(left.slice(0, -2))} and ${formatShape(right.slice(0, -2))} do not broadcast`,
    );
  const shape = [
    ...batch,
    ...(a.shape.length === 1 ? [] : [left[left.length - 2]!]),
    ...(b.shape.length === 1 ? [] : [right[right.length - 1]!]),
  ];
  return ok({ dtype: promoteTypes(a, b), shape });
}

/**
 * Shape and type rules of the value operations. Model operations (read, write,
 * param, call_module, skip, cache, stop, grad, write_grad, backward) depend on the manifest and are typed by
 * the validator itself; their entries here are never called.
 */
export const shapeRules: Record<Op, ShapeRule> = {
  read: () => fail("typed by the validator"),
  write: () => fail("typed by the validator"),
  param: () => fail("typed by the validator"),
  call_module: () => fail("typed by the validator"),
  skip: () => fail("typed by the validator"),
  cache: () => ok(null),
  stop: () => ok(null),
  grad: () => fail("typed by the validator"),
  write_grad: () => fail("typed by the validator"),
  backward: () => fail("typed by the validator"),
  constant: (node) => {
    const n = node as Extract<GraphNode, { op: "constant" }>;
    return ok({
      dtype: n.dtype,
      shape: n.shape,
      weakScalar: n.shape.length === 0,
    });
  },
  tensor: (node) => {
    const n = node as Extract<GraphNode, { op: "tensor" }>;
    return ok({ dtype: n.dtype, shape: n.shape });
  },
  save: (_, [x]) => ok({ dtype: x!.dtype, shape: x!.shape }),
  getitem: (node, [x]) => {
    const s = indexedShape(
      x!.shape,
      (node as Extract<GraphNode, { op: "getitem" }>).index,
    );
    return "error" in s
      ? fail(s.error)
      : ok({ dtype: x!.dtype, shape: s.shape });
  },
  setitem: (node, [x, v]) => {
    const s = indexedShape(
      x!.shape,
      (node as Extract<GraphNode, { op: "setitem" }>).index,
    );
    if ("error" in s) return fail(s.error);
    const b = broadcastShapes(s.shape, v!.shape);
    if (!b || b.length !== s.shape.length)
      return fail(
        `value of shape ${formatShape(v!.shape)} does not fit the indexed region ${formatShape(s.shape)}`,
      );
    return ok({ dtype: x!.dtype, shape: x!.shape });
  },
  where: (_, [c, a, b]) => {
    if (c!.dtype !== "bool")
      return fail(`input 0 (the condition) is ${c!.dtype}, expected bool`);
    const s1 = broadcastShapes(c!.shape, a!.shape);
    const s2 = s1 && broadcastShapes(s1, b!.shape);
    if (!s2)
      return fail(
        `shapes ${formatShape(c!.shape)}, ${formatShape(a!.shape)} and ${formatShape(b!.shape)} do not broadcast`,
      );
    return ok({ dtype: promoteTypes(a!, b!), shape: s2 });
  },
  matmul: (_, [a, b]) => matmul(a!, b!),
  topk: (node, [x]) => {
    const n = node as Extract<GraphNode, { op: "topk" }>;
    const axis = normalizeAxis(n.dim, x!.shape.length);
    if (axis === undefined)
      return fail(
        `dimension ${n.dim} is out of range for rank ${x!.shape.length}`,
      );
    const size = x!.shape[axis]!;
    if (typeof size === "number" && n.k > size)
      return fail(
        `k = ${n.k} is larger than dimension ${n.dim} (size ${size})`,
      );
    const shape = x!.shape.map((d, i) => (i === axis ? n.k : d));
    return ok({ dtype: n.part === "indices" ? "int64" : x!.dtype, shape });
  },
  norm: (node, [x]) => {
    const n = node as Extract<GraphNode, { op: "norm" }>;
    const s = reduceShape(x!.shape, n.dims, n.keepdim);
    return "error" in s
      ? fail(s.error)
      : ok({ dtype: floatOf(x!.dtype), shape: s.shape });
  },
  reshape: (node, [x]) => {
    const target = (node as Extract<GraphNode, { op: "reshape" }>).shape;
    if (target.filter((d) => d === -1).length > 1)
      return fail("at most one dimension can be -1");
    const size = knownSize(x!.shape);
    const fixed = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    if (size === undefined)
      return ok({
        dtype: x!.dtype,
        shape: target.map((d) => (d === -1 ? "?" : d)),
      });
    if (target.includes(-1)) {
      if (fixed === 0 || size % fixed !== 0)
        return fail(
          `cannot reshape ${formatShape(x!.shape)} (${size} elements) to ${formatShape(target)}`,
        );
      return ok({
        dtype: x!.dtype,
        shape: target.map((d) => (d === -1 ? size / fixed : d)),
      });
    }
    if (fixed !== size)
      return fail(
        `cannot reshape ${formatShape(x!.shape)} (${size} elements) to ${formatShape(target)} (${fixed} elements)`,
      );
    return ok({ dtype: x!.dtype, shape: target });
  },
  transpose: (node, [x]) => {
    const [d0, d1] = (node as Extract<GraphNode, { op: "transpose" }>).dims;
    const a = normalizeAxis(d0, x!.shape.length);
    const b = normalizeAxis(d1, x!.shape.length);
    if (a === undefined || b === undefined)
      return fail(
        `dimensions ${d0}, ${d1} are out of range for rank ${x!.shape.length}`,
      );
    const shape = [...x!.shape];
    [shape[a], shape[b]] = [shape[b]!, shape[a]!];
    return ok({ dtype: x!.dtype, shape });
  },
  permute: (node, [x]) => {
    const dims = (node as Extract<GraphNode, { op: "permute" }>).dims;
    const axes = dims.map((d) => normalizeAxis(d, x!.shape.length));
    if (
      dims.length !== x!.shape.length ||
      axes.some((a) => a === undefined) ||
      new Set(axes).size !== axes.length
    ) {
      return fail(
        `dims ${formatShape(dims)} are not a permutation of the ${x!.shape.length} dimensions`,
      );
    }
    return ok({ dtype: x!.dtype, shape: axes.map((a) => x!.shape[a!]!) });
  },
  concat: (node, xs) => {
    const dim = (node as Extract<GraphNode, { op: "concat" }>).dim;
    const first = xs[0]!;
    const axis = normalizeAxis(dim, first.shape.length);
    if (axis === undefined)
      return fail(
        `dimension ${dim} is out of range for rank ${first.shape.length}`,
      );
    let total: Dim = 0;
    for (const [k, x] of xs.entries()) {
      if (x.shape.length !== first.shape.length)
        return fail(
          `input ${k} has rank ${x.shape.length}, expected ${first.shape.length}`,
        );
      const bad = x.shape.findIndex(
        (d, i) =>
          i !== axis &&
          typeof d === "number" &&
          typeof first.shape[i] === "number" &&
          d !== first.shape[i],
      );
      if (bad >= 0)
        return fail(
          `input ${k} has shape ${formatShape(x.shape)}, expected ${formatShape(first.shape.map((d, i) => (i === axis ? "*" : d)))}`,
        );
      const d = x.shape[axis]!;
      total =
        typeof total === "number" && typeof d === "number" ? total + d : "?";
    }
    const dtype = xs
      .slice(1)
      .reduce((t, x) => promote(t, x.dtype), first.dtype);
    return ok({
      dtype,
      shape: first.shape.map((d, i) => (i === axis ? total : d)),
    });
  },
  stack: (node, xs) => {
    const dim = (node as Extract<GraphNode, { op: "stack" }>).dim;
    const first = xs[0]!;
    const axis = normalizeAxis(dim, first.shape.length + 1);
    if (axis === undefined)
      return fail(
        `dimension ${dim} is out of range for rank ${first.shape.length + 1}`,
      );
    for (const [k, x] of xs.entries()) {
      const same =
        x.shape.length === first.shape.length &&
        x.shape.every(
          (d, i) =>
            d === first.shape[i] ||
            typeof d !== "number" ||
            typeof first.shape[i] !== "number",
        );
      if (!same)
        return fail(
          `input ${k} has shape ${formatShape(x.shape)}, expected ${formatShape(first.shape)}`,
        );
    }
    const dtype = xs
      .slice(1)
      .reduce((t, x) => promote(t, x.dtype), first.dtype);
    const shape = [...first.shape];
    shape.splice(axis, 0, xs.length);
    return ok({ dtype, shape });
  },
  cast: (node, [x]) =>
    ok({
      dtype: (node as Extract<GraphNode, { op: "cast" }>).dtype,
      shape: x!.shape,
    }),
  neg: unarySame,
  abs: unarySame,
  relu: unarySame,
  exp: unaryFloat,
  log: unaryFloat,
  sqrt: unaryFloat,
  tanh: unaryFloat,
  gelu: unaryFloat,
  sigmoid: unaryFloat,
  add: binary,
  sub: binary,
  mul: binary,
  div: binary,
  pow: binary,
  maximum: binary,
  minimum: binary,
  eq: compare,
  ne: compare,
  lt: compare,
  le: compare,
  gt: compare,
  ge: compare,
  sum: reduce,
  mean: reduce,
  max: reduce,
  min: reduce,
  argmax: argReduce,
  argmin: argReduce,
  softmax,
  log_softmax: softmax,
};
