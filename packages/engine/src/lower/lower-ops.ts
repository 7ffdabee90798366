import type { DType, GraphNode, IndexItem, ValueType } from "@loupe/graph";
import type { SegmentBuilder } from "./segment-builder.ts";

const UNARY: Record<string, string> = {
  neg: "Neg",
  abs: "Abs",
  exp: "Exp",
  log: "Log",
  sqrt: "Sqrt",
  tanh: "Tanh",
  relu: "Relu",
  sigmoid: "Sigmoid",
};
const BINARY: Record<string, string> = {
  add: "Add",
  sub: "Sub",
  mul: "Mul",
  div: "Div",
  pow: "Pow",
  maximum: "Max",
  minimum: "Min",
};
const COMPARE: Record<string, string> = {
  eq: "Equal",
  lt: "Less",
  le: "LessOrEqual",
  gt: "Greater",
  ge: "GreaterOrEqual",
};
const REDUCE: Record<string, string> = {
  sum: "ReduceSum",
  mean: "ReduceMean",
  max: "ReduceMax",
  min: "ReduceMin",
};
const INT64_MAX = 2 ** 53; // ONNX Slice clamps bounds; any value past the end works.

const isFloat = (d: DType) => d === "float32" || d === "float16";
const comparable = (a: DType, b: DType): DType =>
  a === b ? a : isFloat(a) || isFloat(b) ? "float32" : "int64";

/** Raised for a node the lowering cannot express (should have been rejected earlier). */
export class LoweringError extends Error {
  override readonly name = "LoweringError";
  readonly code = "LOWERING";
}

/** The node of one kind of operation. */
type NodeOf<O extends GraphNode["op"]> = Extract<GraphNode, { op: O }>;

/**
 * Lowers one value operation of an intervention graph to ONNX operators in the
 * segment; `args` are the ONNX names of its inputs with their validated types,
 * `type` its own validated type. Returns the ONNX name of its value.
 */
export function lowerValueOp(
  b: SegmentBuilder,
  node: GraphNode,
  args: readonly { name: string; type: ValueType }[],
  type: ValueType,
): string {
  const arg = (i: number) => args[i]!;
  const as = (i: number, dtype: DType) =>
    b.cast(arg(i).name, arg(i).type.dtype, dtype);
  const rankOf = (i: number) => arg(i).type.shape.length;
  const op = node.op;
  if (op in UNARY) return b.op(UNARY[op]!, [as(0, type.dtype)]);
  if (op === "gelu") return lowerGelu(b, as(0, type.dtype), type.dtype);
  if (op in BINARY)
    return b.op(BINARY[op]!, [as(0, type.dtype), as(1, type.dtype)]);
  if (op in COMPARE || op === "ne") {
    const d = comparable(arg(0).type.dtype, arg(1).type.dtype);
    if (op === "ne") return b.op("Not", [b.op("Equal", [as(0, d), as(1, d)])]);
    return b.op(COMPARE[op]!, [as(0, d), as(1, d)]);
  }
  switch (node.op) {
    case "where": {
      // ONNX Runtime's CPU Where has no bool kernel: select on bytes.
      const via = type.dtype === "bool" ? "int32" : type.dtype;
      const selected = b.op("Where", [as(0, "bool"), as(1, via), as(2, via)]);
      return b.cast(selected, via, type.dtype);
    }
    case "matmul":
      return b.op("MatMul", [as(0, type.dtype), as(1, type.dtype)]);
    case "sum":
    case "mean":
    case "max":
    case "min": {
      const x = as(0, type.dtype);
      const inputs = node.dims === null ? [x] : [x, b.ints(node.dims)];
      return b.op(REDUCE[node.op]!, inputs, {
        keepdims: { int: node.keepdim ? 1 : 0 },
      });
    }
    case "norm":
      return lowerNorm(b, node, as(0, type.dtype), type.dtype);
    case "argmax":
    case "argmin":
      return lowerArgReduce(b, node, arg(0).name, type);
    case "softmax":
      return b.op("Softmax", [as(0, type.dtype)], { axis: { int: node.dim } });
    case "log_softmax":
      return b.op("LogSoftmax", [as(0, type.dtype)], {
        axis: { int: node.dim },
      });
    case "topk":
      return lowerTopk(b, node, arg(0).name);
    case "reshape":
      return b.op("Reshape", [arg(0).name, b.ints(node.shape)], {
        allowzero: { int: 1 },
      });
    case "transpose":
      return lowerTranspose(b, node, arg(0).name, rankOf(0));
    case "permute": {
      const r = rankOf(0);
      return b.op("Transpose", [arg(0).name], {
        perm: { ints: node.dims.map((d) => (d < 0 ? d + r : d)) },
      });
    }
    case "concat":
      return b.op(
        "Concat",
        args.map((_, i) => as(i, type.dtype)),
        { axis: { int: node.dim } },
      );
    case "stack": {
      const r = rankOf(0) + 1;
      const axis = node.dim < 0 ? node.dim + r : node.dim;
      const parts = args.map((_, i) =>
        b.op("Unsqueeze", [as(i, type.dtype), b.ints([axis])]),
      );
      return b.op("Concat", parts, { axis: { int: axis } });
    }
    case "cast":
      return as(0, node.dtype);
    case "getitem":
      return lowerGetitem(b, arg(0).name, rankOf(0), node.index);
    case "setitem":
      return lowerSetitem(b, arg(0), arg(1), node.index);
    default:
      throw new LoweringError(
        `node ${node.id}: operation "${node.op}" is not lowered to ONNX`,
      );
  }
}

/** PyTorch's default (exact) GELU: x * 0.5 * (1 + erf(x / sqrt(2))). */
function lowerGelu(b: SegmentBuilder, x: string, dtype: DType): string {
  const half = b.cast(b.float(0.5), "float32", dtype);
  const one = b.cast(b.float(1), "float32", dtype);
  const root2 = b.cast(b.float(Math.SQRT2), "float32", dtype);
  const erf = b.op("Erf", [b.op("Div", [x, root2])]);
  return b.op("Mul", [b.op("Mul", [x, half]), b.op("Add", [erf, one])]);
}

/** The p-norm over `dims`: ONNX's own reductions for p = 1 and 2, else (Σ|x|^p)^(1/p). */
function lowerNorm(
  b: SegmentBuilder,
  node: NodeOf<"norm">,
  x: string,
  dtype: DType,
): string {
  const axes = node.dims === null ? [] : [b.ints(node.dims)];
  const keepdims = { keepdims: { int: node.keepdim ? 1 : 0 } };
  if (node.p === 2) return b.op("ReduceL2", [x, ...axes], keepdims);
  if (node.p === 1) return b.op("ReduceL1", [x, ...axes], keepdims);
  const p = b.cast(b.float(node.p), "float32", dtype);
  const inv = b.cast(b.float(1 / node.p), "float32", dtype);
  const s = b.op(
    "ReduceSum",
    [b.op("Pow", [b.op("Abs", [x]), p]), ...axes],
    keepdims,
  );
  return b.op("Pow", [s, inv]);
}

/** argmax / argmin over one axis, or over the flattened tensor when `dim` is null. */
function lowerArgReduce(
  b: SegmentBuilder,
  node: NodeOf<"argmax" | "argmin">,
  x: string,
  type: ValueType,
): string {
  const onnxOp = node.op === "argmax" ? "ArgMax" : "ArgMin";
  if (node.dim === null) {
    const flat = b.op("Reshape", [x, b.ints([-1])]);
    const r = b.op(onnxOp, [flat], {
      axis: { int: 0 },
      keepdims: { int: 0 },
    });
    return node.keepdim
      ? b.op("Reshape", [r, b.ints(type.shape.map(() => 1))])
      : r;
  }
  return b.op(onnxOp, [x], {
    axis: { int: node.dim },
    keepdims: { int: node.keepdim ? 1 : 0 },
    select_last_index: { int: 0 },
  });
}

/** The values or the indices of the k largest (or smallest) elements along `dim`. */
function lowerTopk(b: SegmentBuilder, node: NodeOf<"topk">, x: string): string {
  const [values, indices] = b.opN("TopK", [x, b.ints([node.k])], 2, {
    axis: { int: node.dim },
    largest: { int: node.largest ? 1 : 0 },
    sorted: { int: 1 },
  });
  return node.part === "values" ? values! : indices!;
}

/** Two axes swapped, as a Transpose's permutation. */
function lowerTranspose(
  b: SegmentBuilder,
  node: NodeOf<"transpose">,
  x: string,
  rank: number,
): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  const [i, j] = node.dims.map((d) => (d < 0 ? d + rank : d)) as [
    number,
    number,
  ];
  perm[i] = j;
  perm[j] = i;
  return b.op("Transpose", [x], { perm: { ints: perm } });
}

/**
 * NumPy basic indexing plus one index list, in the validator's semantics (each
 * item acts on its own axis, in place). Integers and lists enter as inputs
 * (data), slices are structure.
 */
export function lowerGetitem(
  b: SegmentBuilder,
  x: string,
  rank: number,
  index: readonly IndexItem[],
): string {
  const consumed = index.filter((i) => i !== null && i !== "...").length;
  const items: IndexItem[] = [];
  for (const item of index) {
    if (item === "...")
      for (let k = 0; k < rank - consumed; k++)
        items.push({ slice: [null, null, null] });
    else items.push(item);
  }
  let cur = x;
  let axis = 0;
  for (const item of items) {
    if (item === null || item === "...") {
      cur = b.op("Unsqueeze", [cur, b.ints([axis])]);
      axis++;
    } else if (typeof item === "number") {
      const at = b.input(7, { kind: "ints", values: [item], scalar: true });
      cur = b.op("Gather", [cur, at], { axis: { int: axis } });
    } else if ("list" in item) {
      const at = b.input(7, { kind: "ints", values: item.list, scalar: false });
      cur = b.op("Gather", [cur, at], { axis: { int: axis } });
      axis++;
    } else {
      const [start, stop, step] = item.slice;
      const s = step ?? 1;
      if (!(start === null && stop === null && s === 1)) {
        const lo = start ?? (s > 0 ? 0 : -1);
        const hi = stop ?? (s > 0 ? INT64_MAX : -INT64_MAX);
        cur = b.op("Slice", [
          cur,
          b.ints([lo]),
          b.ints([hi]),
          b.ints([axis]),
          b.ints([s]),
        ]);
      }
      axis++;
    }
  }
  return cur;
}

/**
 * `x[index] = v` without JavaScript loops: index an iota of x's flat positions
 * with the same lowering as getitem, then scatter v (broadcast to that region)
 * into the flat tensor.
 */
export function lowerSetitem(
  b: SegmentBuilder,
  x: { name: string; type: ValueType },
  v: { name: string; type: ValueType },
  index: readonly IndexItem[] | null,
): string {
  const shape = b.op("Shape", [x.name]);
  const value = b.cast(v.name, v.type.dtype, x.type.dtype);
  if (index === null) return b.op("Expand", [value, shape]);
  const size = b.op("Size", [x.name]);
  const iota = b.op("Reshape", [
    b.op("Range", [b.ints([0], true), size, b.ints([1], true)]),
    shape,
  ]);
  const selected = lowerGetitem(b, iota, x.type.shape.length, index);
  const region = b.op("Expand", [value, b.op("Shape", [selected])]);
  const flat = b.op("Reshape", [x.name, b.ints([-1])]);
  const scattered = b.op(
    "ScatterElements",
    [
      flat,
      b.op("Reshape", [selected, b.ints([-1])]),
      b.op("Reshape", [region, b.ints([-1])]),
    ],
    { axis: { int: 0 } },
  );
  return b.op("Reshape", [scattered, shape]);
}
