import type { Emitter } from "../emitter.ts";
import { fromOutput, mul, type Grads, type VjpRule } from "./rule.ts";

const swapLast = (r: number) => {
  const perm = Array.from({ length: r }, (_, i) => i);
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return perm;
};

/**
 * `x` with its last two axes swapped: a Transpose where its rank is known,
 * else an Einsum, whose ellipsis covers any batch axes.
 */
function transposeLast(e: Emitter, x: string): string {
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
}

/** An operand's gradient from its product: summed over broadcast batch axes, a vector's reshaped back. */
function operandGrad(
  e: Emitter,
  product: string,
  operand: string,
  original: string,
  vector: boolean,
): string {
  const summed = e.unbroadcast(product, operand);
  return vector ? e.reshapeLike(summed, original) : summed;
}

/**
 * `a @ b`: ga = g·bᵀ and gb = aᵀ·g, summed over broadcast batch axes.
 * Vectors become matrices (PyTorch's rule), and back at the end. Ranks are
 * needed for vectors only; a matrix of unknown rank is transposed by Einsum.
 */
const matmulVjp = fromOutput((c, g) => {
  const e = c.e;
  let [a, b] = [c.n.input[0]!, c.n.input[1]!];
  const [ra, rb] = [e.rankOf(a) ?? 2, e.rankOf(b) ?? 2];
  let gg = g;
  if (ra === 1) {
    a = e.unsqueeze(a, [0]);
    gg = e.unsqueeze(gg, [-2]);
  }
  if (rb === 1) {
    b = e.unsqueeze(b, [1]);
    gg = e.unsqueeze(gg, [-1]);
  }
  const t = { elemType: e.typeOf(g) };
  const out: Grads = [];
  // Known ranks: the transposes happen inside the product (FusedMatMul).
  const fused = e.rankOf(a) !== undefined && e.rankOf(b) !== undefined;
  if (c.wants(0)) {
    const product = fused
      ? e.fusedMatMul(gg, b, false, true, t)
      : e.op("MatMul", [gg, transposeLast(e, b)], {}, t);
    out[0] = operandGrad(e, product, a, c.n.input[0]!, ra === 1);
  }
  if (c.wants(1)) {
    const product = fused
      ? e.fusedMatMul(a, gg, true, false, t)
      : e.op("MatMul", [transposeLast(e, a), gg], {}, t);
    out[1] = operandGrad(e, product, b, c.n.input[1]!, rb === 1);
  }
  return out;
});

/** `alpha · op(a) @ op(b) + beta · c`, with its transposes undone in each product. */
const gemmVjp = fromOutput((c, g) => {
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
  const out: Grads = [];
  if (c.wants(0)) out[0] = ta === 0 ? gemm(g, b, 0, 1 - tb) : gemm(b, g, tb, 1);
  if (c.wants(1)) out[1] = tb === 0 ? gemm(a, g, 1 - ta, 0) : gemm(g, a, 1, ta);
  if (cc && c.wants(2)) {
    const scaled = beta === 1 ? g : mul(e, g, e.scalar(beta, g));
    out[2] = e.unbroadcast(scaled, cc);
  }
  return out;
});

/** Rules of matrix products. */
export const MATMUL_RULES: Readonly<Record<string, VjpRule>> = {
  MatMul: matmulVjp,
  Gemm: gemmVjp,
};
