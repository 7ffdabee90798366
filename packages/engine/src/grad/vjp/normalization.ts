import { fromOutput, mul, rankFor, type Grads, type VjpRule } from "./rule.ts";

/**
 * LayerNormalization (opset 17) over axes [axis, rank): with x̂ the normalized
 * input and ĝ = g · scale, dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)) / σ, the
 * means over the normalized axes; dscale = Σ g · x̂, dbias = Σ g.
 */
const layerNormVjp = fromOutput((c, g) => {
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
  const out: Grads = [];
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
});

/** Rules of normalization layers. */
export const NORMALIZATION_RULES: Readonly<Record<string, VjpRule>> = {
  LayerNormalization: layerNormVjp,
};
