import type { NodeView } from "./program.ts";

/** What is known of a tensor's shape before running, and its values where it is a small constant. */
export interface ShapeFact {
  rank?: number;
  /** Dims, where known (initializers, constants, 1-D vectors of known length). */
  dims?: readonly (number | undefined)[];
  /** Values of a small constant (axes, shapes, scalars), where known. */
  value?: readonly number[];
}

/** The facts of the tensors computed so far, as the rules read them. */
export interface KnownFacts {
  rank(t: string | undefined): number | undefined;
  dims(t: string | undefined): readonly (number | undefined)[] | undefined;
  value(t: string | undefined): readonly number[] | undefined;
  /** The length of a 1-D tensor, where known. */
  length(t: string | undefined): number | undefined;
}

/** The shape facts of a node's outputs, by output index. */
type FactRule = (n: NodeView, k: KnownFacts) => readonly ShapeFact[];
/** The shape fact of a node's first (only) output. */
type FirstFact = (n: NodeView, k: KnownFacts) => ShapeFact;

const first =
  (f: FirstFact): FactRule =>
  (n, k) => [f(n, k)];
const everyOutput =
  (f: FirstFact): FactRule =>
  (n, k) =>
    n.output.map(() => f(n, k));

const rank0 = (n: NodeView, k: KnownFacts) => k.rank(n.input[0]);
const axesOf = (n: NodeView, k: KnownFacts): readonly number[] | undefined =>
  n.ints("axes") ?? k.value(n.input[1]);

function constantFact(n: NodeView): ShapeFact {
  const c = n.tensor("value");
  const vi = n.int("value_int");
  const vis = n.ints("value_ints");
  const vf = n.float("value_float");
  if (c) return { rank: c.dims.length, dims: c.dims, value: c.values };
  if (vi !== undefined) return { rank: 0, dims: [], value: [vi] };
  if (vis) return { rank: 1, dims: [vis.length], value: vis };
  if (vf !== undefined) return { rank: 0, dims: [], value: [vf] };
  return {};
}

function shapeFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const start = n.int("start") ?? 0;
  const end = n.int("end");
  let len = r0;
  if (r0 !== undefined) {
    const norm = (x: number) => Math.min(Math.max(x < 0 ? x + r0 : x, 0), r0);
    len = Math.max(0, norm(end ?? r0) - norm(start));
  }
  return { rank: 1, dims: [len] };
}

/** Gather from a known 1-D constant by known indices keeps the picked values. */
function gatherFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const ri = k.rank(n.input[1]);
  const v = k.value(n.input[0]);
  const idx = k.value(n.input[1]);
  const f: ShapeFact = {
    rank: r0 !== undefined && ri !== undefined ? r0 - 1 + ri : undefined,
  };
  if (r0 === 1 && v && idx && ri !== undefined)
    Object.assign(f, {
      value: idx.map((i) => v[i < 0 ? i + v.length : i]!),
      dims: ri === 0 ? [] : [idx.length],
    });
  return f;
}

function unsqueezeFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const axes = axesOf(n, k);
  const v = k.value(n.input[0]);
  return {
    rank: r0 !== undefined && axes !== undefined ? r0 + axes.length : undefined,
    ...(r0 === 0 && axes?.length === 1
      ? { dims: [1], value: v }
      : r0 === 1 && axes?.length === 1
        ? { dims: undefined }
        : {}),
  };
}

function squeezeFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const axes = axesOf(n, k);
  return {
    rank: r0 !== undefined && axes !== undefined ? r0 - axes.length : undefined,
  };
}

/** Concat of 1-D tensors of known lengths: the summed length, and the values where all are known. */
function concatFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const lens = n.input.map((t) => k.length(t));
  const values = n.input.map((t) => k.value(t));
  return {
    rank: r0,
    ...(r0 === 1 && lens.every((l) => l !== undefined)
      ? {
          dims: [lens.reduce((a, b) => a + b, 0)],
          ...(values.every((v) => v)
            ? { value: values.flatMap((v) => v!) }
            : {}),
        }
      : {}),
  };
}

/** A forward Slice of a 1-D tensor of known length by constant bounds: its length. */
function sliceFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const len = k.length(n.input[0]);
  const [st, en, ax, sp] = [2, 3, 4, 5].map((i) => k.value(n.input[i - 1]));
  let dims: (number | undefined)[] | undefined;
  if (r0 === 1 && len !== undefined && st && en && (!ax || ax[0] === 0)) {
    const step = sp?.[0] ?? 1;
    const clamp = (x: number, lo: number, hi: number) =>
      Math.min(Math.max(x, lo), hi);
    const norm = (x: number) => (x < 0 ? x + len : x);
    if (step > 0) {
      const s = clamp(norm(st[0]!), 0, len);
      const e = clamp(norm(en[0]!), 0, len);
      dims = [Math.max(0, Math.ceil((e - s) / step))];
    }
  }
  return { rank: r0, dims };
}

function reshapeFact(n: NodeView, k: KnownFacts): ShapeFact {
  // A constant reshaped (a dynamo export's axes: Reshape(Constant, Constant)) keeps its values.
  const r = k.length(n.input[1]);
  const v = k.value(n.input[0]);
  return { rank: r, ...(v && r === 1 ? { value: v, dims: [v.length] } : {}) };
}

function expandFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const l = k.length(n.input[1]);
  return {
    rank: r0 !== undefined && l !== undefined ? Math.max(r0, l) : undefined,
  };
}

function matmulFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const r1 = k.rank(n.input[1]);
  return {
    rank:
      r0 === undefined || r1 === undefined
        ? undefined
        : r0 === 1
          ? r1 - 1
          : r1 === 1
            ? r0 - 1
            : Math.max(r0, r1),
  };
}

/** A reduction's rank: kept, or less the reduced axes (all of them when none are given). */
function reductionFact(n: NodeView, k: KnownFacts): ShapeFact {
  const r0 = rank0(n, k);
  const keep = (n.int("keepdims") ?? 1) === 1;
  const axes = n.opType.startsWith("Arg") ? [n.int("axis") ?? 0] : axesOf(n, k);
  return {
    rank: keep
      ? r0
      : axes === undefined
        ? n.input[1]
          ? undefined
          : 0
        : r0 !== undefined
          ? r0 - axes.length
          : undefined,
  };
}

/**
 * Elementwise and shape-keeping operators: the largest input rank; a Cast
 * or an Identity of one tensor keeps its dims and values.
 */
function elementwiseFact(n: NodeView, k: KnownFacts): ShapeFact {
  const ranks = n.input.filter((t) => t).map((t) => k.rank(t));
  const known = ranks.every((r) => r !== undefined);
  const r = known && ranks.length > 0 ? Math.max(...ranks) : undefined;
  const single = n.input.length === 1 || n.opType === "Cast";
  return {
    rank: r,
    ...((n.opType === "Cast" || n.opType === "Identity") && single
      ? { value: k.value(n.input[0]), dims: k.dims(n.input[0]) }
      : {}),
  };
}

const reduction = first(reductionFact);
const sameRankOutputs = everyOutput((n, k) => ({ rank: rank0(n, k) }));

const FACT_RULES: Readonly<Record<string, FactRule>> = {
  Constant: first(constantFact),
  Shape: first(shapeFact),
  Size: first(() => ({ rank: 0, dims: [] })),
  ConstantOfShape: first((n, k) => ({ rank: k.length(n.input[0]) })),
  Range: first(() => ({ rank: 1 })),
  NonZero: first(() => ({ rank: 2 })),
  Gather: first(gatherFact),
  Unsqueeze: first(unsqueezeFact),
  Squeeze: first(squeezeFact),
  Concat: first(concatFact),
  Slice: first(sliceFact),
  Reshape: first(reshapeFact),
  Expand: first(expandFact),
  MatMul: first(matmulFact),
  Gemm: first(() => ({ rank: 2 })),
  ReduceMean: reduction,
  ReduceSum: reduction,
  ReduceMax: reduction,
  ReduceMin: reduction,
  ReduceL1: reduction,
  ReduceL2: reduction,
  ReduceProd: reduction,
  ArgMax: reduction,
  ArgMin: reduction,
  Split: sameRankOutputs,
  TopK: sameRankOutputs,
};

const elementwise = everyOutput(elementwiseFact);

/**
 * The shape facts of a node's outputs, by output index, from the facts of
 * its inputs. Exports compute shapes with small integer subgraphs
 * (Shape → Gather → Unsqueeze → Concat → Reshape), so 1-D lengths and
 * constant values are followed through those operators; any operator not
 * listed is taken as elementwise.
 */
export function outputShapeFacts(
  n: NodeView,
  known: KnownFacts,
): readonly ShapeFact[] {
  return (FACT_RULES[n.opType] ?? elementwise)(n, known);
}
