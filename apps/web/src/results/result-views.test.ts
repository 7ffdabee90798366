import type { SavedTensor } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { decodeFloat16 } from "./decode-float16";
import {
  buildResultViews,
  parseSaveName,
  type ResultView,
} from "./result-views";

const f32 = (shape: number[], values: ArrayLike<number>): SavedTensor => ({
  dtype: "float32",
  shape,
  data: Float32Array.from(values),
});

/** Deterministic, irregular float32 values (not short decimals). */
const wave = (n: number, seed = 1) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 7.3 + seed) * 3.1);

/** The straightforward softmax the views must match exactly. */
function softmaxReference(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Top k ids by logit, ties to the lower id, with the reference probabilities. */
function topReference(row: number[], k: number) {
  const p = softmaxReference(row);
  return row
    .map((logit, id) => ({ id, logit, prob: p[id]! }))
    .sort((a, b) => b.logit - a.logit || a.id - b.id)
    .slice(0, k);
}

const only = (views: ResultView[]) => {
  expect(views).toHaveLength(1);
  return views[0]!;
};

const V = 50;
const decode = (ids: number[]) => ids.map((i) => ` tok${i}`).join("");

describe("buildResultViews: heatmap", () => {
  it("squeezes leading size-1 dims and copies float32 values exactly", () => {
    const data = wave(12);
    const view = only(buildResultViews({ attn: f32([1, 1, 3, 4], data) }, {}));
    expect(view).toMatchObject({
      kind: "heatmap",
      name: "attn",
      rowAxis: "dim 0",
      colAxis: "dim 1",
      rowLabels: ["0", "1", "2"],
      colLabels: ["0", "1", "2", "3"],
    });
    if (view.kind !== "heatmap") throw new Error("not a heatmap");
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++)
        expect(Object.is(view.values[i]![j], data[i * 4 + j])).toBe(true);
  });

  it("names axes from the bracket suffix and labels position and layer", () => {
    const promptTokens = ["The", " Louvre", " is"];
    const view = only(
      buildResultViews(
        { "logit_diff[layer, position]": f32([2, 3], wave(6)) },
        { promptTokens },
      ),
    );
    expect(view).toMatchObject({
      kind: "heatmap",
      rowAxis: "layer",
      colAxis: "position",
      rowLabels: ["L0", "L1"],
      colLabels: ['0: "The"', '1: " Louvre"', '2: " is"'],
    });
  });

  it("takes axes that name the saved shape, dropping the squeezed ones", () => {
    const view = only(
      buildResultViews(
        { "x[batch,head,position]": f32([1, 2, 2], wave(4)) },
        {},
      ),
    );
    expect(view).toMatchObject({ rowAxis: "head", colAxis: "position" });
  });

  it("falls back to indices when axes or prompt do not fit", () => {
    const [x, y] = buildResultViews(
      {
        "x[a,b,c,d]": f32([2, 2], wave(4)),
        "y[position,q]": f32([2, 2], wave(4)),
      },
      { promptTokens: ["a", "b", "c"] },
    );
    expect(x).toMatchObject({ rowAxis: "dim 0", colAxis: "dim 1" });
    expect(y).toMatchObject({
      rowAxis: "position",
      rowLabels: ["0", "1"],
      colAxis: "q",
    });
  });

  it("decodes float16 cells from their bits", () => {
    const view = only(
      buildResultViews(
        {
          h: {
            dtype: "float16",
            shape: [2, 2],
            data: Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001]),
          },
        },
        {},
      ),
    );
    expect(view).toMatchObject({
      kind: "heatmap",
      values: [
        [1, -2],
        [0.333251953125, 2 ** -24],
      ],
    });
  });

  it("shows 128 x 128 as a heatmap and 129 x 2 as a tensor", () => {
    const views = buildResultViews(
      {
        big: f32([128, 128], wave(128 * 128)),
        tall: f32([129, 2], wave(258)),
      },
      {},
    );
    expect(views.map((v) => v.kind)).toEqual(["heatmap", "tensor"]);
  });
});

describe("buildResultViews: logit lens and top-k", () => {
  it("groups numbered vocab-sized saves into one lens, rows in numeric order", () => {
    const rows = [wave(V, 1), wave(V, 2), wave(V, 3)];
    const views = buildResultViews(
      {
        before: f32([3], wave(3)),
        layer10: f32([1, 1, V], rows[2]!),
        layer2: f32([1, 1, V], rows[1]!),
        after: f32([2], wave(2)),
        layer0: f32([1, 1, V], rows[0]!),
      },
      { vocabSize: V, decode },
    );
    expect(views.map((v) => `${v.kind}:${v.name}`)).toEqual([
      "line:before",
      "logit-lens:layer",
      "line:after",
    ]);
    const lens = views[1]!;
    if (lens.kind !== "logit-lens") throw new Error("not a lens");
    expect(lens.rows.map((r) => r.label)).toEqual([
      "layer0",
      "layer2",
      "layer10",
    ]);
    lens.rows.forEach((row, r) => {
      const expected = topReference([...rows[r]!], 5).map((e) => ({
        ...e,
        token: ` tok${e.id}`,
      }));
      expect(row.top).toEqual(expected);
    });
  });

  it("uses the softmax of the last position of a sequence of logits", () => {
    const data = wave(4 * V, 7);
    // layer1 is not vocab-sized, so layer0 stands alone as a top-k view.
    const views = buildResultViews(
      { layer0: f32([1, 4, V], data), layer1: f32([3], wave(3)) },
      { vocabSize: V },
    );
    expect(views.map((v) => v.kind)).toEqual(["top-k", "line"]);
    const top = views[0]!;
    if (top.kind !== "top-k") throw new Error("not top-k");
    expect(top.position).toBe("last position (3)");
    expect(top.entries).toEqual(
      topReference([...data.subarray(3 * V)], 10).map((e) => ({
        ...e,
        token: `#${e.id}`,
      })),
    );
  });

  it("names a single vector's position and breaks logit ties by id", () => {
    const data = new Float32Array(V);
    data[7] = 2;
    data[3] = 2;
    data[40] = 1;
    const view = only(
      buildResultViews({ logits: f32([V], data) }, { vocabSize: V, decode }),
    );
    if (view.kind !== "top-k") throw new Error("not top-k");
    expect(view.position).toBe("only position");
    expect(view.entries.map((e) => e.id)).toEqual([
      3, 7, 40, 0, 1, 2, 4, 5, 6, 8,
    ]);
    expect(view.entries[0]!.token).toBe(" tok3");
    const p = softmaxReference([...data]);
    expect(view.entries.map((e) => e.prob)).toEqual(
      view.entries.map((e) => p[e.id]),
    );
  });

  it("keeps saves with different prefixes, or not vocab-sized, apart", () => {
    const views = buildResultViews(
      {
        a0: f32([V], wave(V)),
        b1: f32([V], wave(V)),
        c0: f32([2, 3], wave(6)),
        c1: f32([2, 3], wave(6)),
      },
      { vocabSize: V },
    );
    expect(views.map((v) => v.kind)).toEqual([
      "top-k",
      "top-k",
      "heatmap",
      "heatmap",
    ]);
  });

  it("needs a vocab size and a float dtype to treat a tensor as logits", () => {
    const noVocab = buildResultViews(
      { logits: f32([1, 4, V], wave(4 * V)) },
      {},
    );
    expect(noVocab[0]!.kind).toBe("heatmap");
    const ints = buildResultViews(
      { ids: { dtype: "int32", shape: [V], data: new Int32Array(V) } },
      { vocabSize: V },
    );
    expect(ints[0]!.kind).toBe("tensor");
  });
});

describe("buildResultViews: line and tensor", () => {
  it("draws a 1-D float tensor of 2..4096 elements as a line", () => {
    const data = wave(5);
    const view = only(
      buildResultViews({ "curve[layer]": f32([1, 5], data) }, {}),
    );
    expect(view).toEqual({
      kind: "line",
      name: "curve[layer]",
      xAxis: "layer",
      points: [...data].map((y, x) => ({ x, y })),
    });
    const kinds = buildResultViews(
      {
        one: f32([1], [1]),
        max: f32([4096], wave(4096)),
        over: f32([4097], wave(4097)),
      },
      {},
    ).map((v) => `${v.kind}:${v.name}`);
    expect(kinds).toEqual(["tensor:one", "line:max", "tensor:over"]);
    expect(buildResultViews({ x: f32([3], wave(3)) }, {})[0]).toMatchObject({
      xAxis: "index",
    });
  });

  it("summarises scalars, ints and bools with a preview and statistics", () => {
    const views = buildResultViews(
      {
        loss: f32([], [2.5]),
        ids: {
          dtype: "int64",
          shape: [1, 20],
          data: BigInt64Array.from({ length: 20 }, (_, i) => BigInt(i - 5)),
        },
        mask: {
          dtype: "bool",
          shape: [4],
          data: Uint8Array.from([1, 0, 1, 1]),
        },
        empty: f32([0, 3], []),
        half: {
          dtype: "float16",
          shape: [3, 3, 3],
          data: new Uint16Array(27).fill(0xbc00),
        },
      },
      {},
    );
    expect(views).toEqual([
      {
        kind: "tensor",
        name: "loss",
        dtype: "float32",
        shape: [],
        preview: [2.5],
        min: 2.5,
        max: 2.5,
        mean: 2.5,
      },
      {
        kind: "tensor",
        name: "ids",
        dtype: "int64",
        shape: [1, 20],
        preview: Array.from({ length: 16 }, (_, i) => i - 5),
        min: -5,
        max: 14,
        mean: 4.5,
      },
      {
        kind: "tensor",
        name: "mask",
        dtype: "bool",
        shape: [4],
        preview: [1, 0, 1, 1],
        min: 0,
        max: 1,
        mean: 0.75,
      },
      {
        kind: "tensor",
        name: "empty",
        dtype: "float32",
        shape: [0, 3],
        preview: [],
        min: NaN,
        max: NaN,
        mean: NaN,
      },
      {
        kind: "tensor",
        name: "half",
        dtype: "float16",
        shape: [3, 3, 3],
        preview: new Array(16).fill(-1),
        min: -1,
        max: -1,
        mean: -1,
      },
    ]);
  });

  it("refuses a tensor whose data does not fit its shape, naming it", () => {
    expect(() => buildResultViews({ bad: f32([2, 3], [1, 2]) }, {})).toThrow(
      'result "bad": shape [2,3] has 6 elements, but its data has 2',
    );
  });
});

describe("parseSaveName", () => {
  it.each([
    ["logit_diff[layer,position]", "logit_diff", ["layer", "position"]],
    ["logit_diff", "logit_diff", []],
    ["", "", []],
    ["my diff [ layer , position ] ", "my diff", ["layer", "position"]],
    ["x[]", "x", []],
    ["x[ ]", "x", []],
    ["x[a,]", "x[a,]", []],
    ["x[a][b]", "x[a]", ["b"]],
    ["x[a[b]]", "x[a[b]]", []],
    ["x[a]y", "x[a]y", []],
    ["[layer]", "", ["layer"]],
    ["layer 3", "layer 3", []],
  ])("%j", (name, base, axes) => {
    expect(parseSaveName(name)).toEqual({ base, axes });
  });
});

/** Row-wise softmax of `wave` values: `rows` probability rows of `keys` weights. */
function softmaxRows(rows: number, keys: number, seed = 1): Float32Array {
  const logits = wave(rows * keys, seed);
  return Float32Array.from(
    Array.from({ length: rows }, (_, r) =>
      softmaxReference([...logits.slice(r * keys, (r + 1) * keys)]),
    ).flat(),
  );
}

/** A causal pattern: query q attends to keys 0..q only, rows summing to 1. */
function causalRows(heads: number, n: number): Float32Array {
  const out = new Float32Array(heads * n * n);
  for (let h = 0; h < heads; h++)
    for (let q = 0; q < n; q++) {
      const p = softmaxReference([...wave(q + 1, h * n + q)]);
      p.forEach((w, k) => (out[(h * n + q) * n + k] = w));
    }
  return out;
}

describe("buildResultViews: attention", () => {
  const tokens = ["[CLS]", "the", " cat", "[SEP]"];

  it("reads [batch, heads, q, k] probabilities per head, tokens on both axes, exactly", () => {
    const data = softmaxRows(2 * 4, 4);
    const view = only(
      buildResultViews(
        { "layer0.attn": f32([1, 2, 4, 4], data) },
        { promptTokens: tokens },
      ),
    );
    expect(view).toMatchObject({
      kind: "attention",
      name: "layer0.attn",
      queryLabels: ['0: "[CLS]"', '1: "the"', '2: " cat"', '3: "[SEP]"'],
      keyLabels: ['0: "[CLS]"', '1: "the"', '2: " cat"', '3: "[SEP]"'],
      generic: { kind: "tensor", shape: [1, 2, 4, 4] },
    });
    if (view.kind !== "attention") throw new Error("not attention");
    expect(view.patterns).toHaveLength(1);
    expect(view.patterns[0]).toHaveLength(2);
    for (let h = 0; h < 2; h++)
      for (let q = 0; q < 4; q++)
        for (let k = 0; k < 4; k++)
          expect(
            Object.is(view.patterns[0]![h]![q]![k], data[(h * 4 + q) * 4 + k]),
          ).toBe(true);
  });

  it("takes [heads, q, k] and causal patterns; with a longer key axis, queries are the last tokens", () => {
    const [causal, cached] = buildResultViews(
      {
        causal: f32([3, 4, 4], causalRows(3, 4)),
        cached: f32([2, 1, 4], softmaxRows(2, 4)),
      },
      { promptTokens: tokens },
    );
    expect(causal).toMatchObject({ kind: "attention" });
    expect(cached).toMatchObject({
      kind: "attention",
      queryLabels: ['3: "[SEP]"'],
      keyLabels: ['0: "[CLS]"', '1: "the"', '2: " cat"', '3: "[SEP]"'],
    });
  });

  it("offers the heatmap as the generic view of a single head of a single row", () => {
    const view = only(
      buildResultViews({ pattern: f32([1, 1, 3, 3], softmaxRows(3, 3)) }, {}),
    );
    expect(view).toMatchObject({
      kind: "attention",
      queryLabels: ["0", "1", "2"],
      keyLabels: ["0", "1", "2"],
      generic: { kind: "heatmap", rowAxis: "dim 0", colAxis: "dim 1" },
    });
  });

  it("labels with indices when there are several batch rows or the prompt has another length", () => {
    const [batched, other] = buildResultViews(
      {
        batched: f32([2, 1, 4, 4], softmaxRows(8, 4)),
        other: f32([1, 2, 3, 3], softmaxRows(6, 3)),
      },
      { promptTokens: tokens },
    );
    expect(batched).toMatchObject({
      kind: "attention",
      queryLabels: ["0", "1", "2", "3"],
      keyLabels: ["0", "1", "2", "3"],
    });
    if (batched?.kind !== "attention") throw new Error("not attention");
    expect(batched.patterns.map((b) => b.length)).toEqual([1, 1]);
    expect(other).toMatchObject({
      kind: "attention",
      keyLabels: ["0", "1", "2"],
    });
  });

  it("keeps a head zeroed before the save, and decodes float16 within its precision", () => {
    const data = softmaxRows(2 * 3, 3);
    data.fill(0, 9, 18);
    const half = {
      dtype: "float16" as const,
      shape: [1, 2, 2],
      // 0.33350, 0.66650 | 0.25, 0.75: rows sum to 1 within float16's rounding.
      data: Uint16Array.from([0x3556, 0x3955, 0x3400, 0x3a00]),
    };
    const [ablated, f16] = buildResultViews(
      { ablated: f32([2, 3, 3], data), f16: half },
      {},
    );
    expect(ablated).toMatchObject({ kind: "attention" });
    if (ablated?.kind !== "attention") throw new Error("not attention");
    expect(ablated.patterns[0]![1]!.flat().every((w) => w === 0)).toBe(true);
    expect(f16).toMatchObject({
      kind: "attention",
      patterns: [
        [
          [
            [decodeFloat16(0x3556), decodeFloat16(0x3955)],
            [0.25, 0.75],
          ],
        ],
      ],
    });
  });

  it.each([
    ["values outside [0, 1]", [2, 3, 3], () => wave(18)],
    [
      "rows not summing to 1",
      [2, 3, 3],
      () => softmaxRows(6, 3).map((w) => w / 2),
    ],
    ["more queries than keys", [2, 4, 3], () => softmaxRows(8, 3)],
    ["a 2-D softmax", [3, 3], () => softmaxRows(3, 3)],
    ["five dims", [1, 2, 1, 3, 3], () => softmaxRows(6, 3)],
    ["all zeros", [2, 3, 3], () => new Float32Array(18)],
    ["a NaN", [1, 2, 2], () => Float32Array.from([0.5, 0.5, NaN, 1])],
    ["keys past 128", [1, 1, 129], () => softmaxRows(1, 129)],
  ])("is not attention with %s", (_, shape, values) => {
    const view = only(buildResultViews({ x: f32(shape, values()) }, {}));
    expect(view.kind).not.toBe("attention");
  });

  it("is not attention when not a float, or when the last dim is the vocabulary", () => {
    const views = buildResultViews(
      {
        ints: { dtype: "int32", shape: [1, 1, 1], data: Int32Array.from([1]) },
        probs: f32([1, 2, 3], softmaxRows(2, 3)),
      },
      { vocabSize: 3, decode },
    );
    expect(views.map((v) => v.kind)).toEqual(["tensor", "top-k"]);
  });
});
