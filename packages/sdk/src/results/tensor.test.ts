import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tensor, TensorError } from "./tensor.ts";

const f32 = (shape: number[], values: number[]) =>
  new Tensor({ dtype: "float32", shape, data: Float32Array.from(values) });

describe("Tensor", () => {
  it("argmax and topk work along the last axis, largest first, lower index first on ties", () => {
    const t = f32([2, 4], [0.5, 3, 3, -1, 7, 2, 9, 9]);
    expect(t.argmax().shape).toEqual([2]);
    expect(t.argmax().toArray()).toEqual([1n, 2n]);
    const { values, indices } = t.topk(3);
    expect(values.shape).toEqual([2, 3]);
    expect(values.toArray()).toEqual([
      [3, 3, 0.5],
      [9, 9, 7],
    ]);
    expect(indices.toArray()).toEqual([
      [1n, 2n, 0n],
      [2n, 3n, 0n],
    ]);
  });

  it("treats NaN as the largest value, as PyTorch does", () => {
    expect(f32([3], [1, NaN, 2]).argmax().item()).toBe(1);
  });

  it("reads float16, int64 and bool elements as their values", () => {
    // 0x3c00 = 1.0, 0xc000 = -2.0, 0x3555 ≈ 0.33325, 0x7c00 = +inf
    const half = new Tensor({
      dtype: "float16",
      shape: [4],
      data: Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x7c00]),
    });
    expect(half.toArray()).toEqual([1, -2, 0.333251953125, Infinity]);
    expect(half.argmax().item()).toBe(3);
    const ids = new Tensor({
      dtype: "int64",
      shape: [1, 2],
      data: BigInt64Array.from([5n, -3n]),
    });
    expect(ids.toArray()).toEqual([[5n, -3n]]);
    const mask = new Tensor({
      dtype: "bool",
      shape: [2],
      data: Uint8Array.from([1, 0]),
    });
    expect(mask.toArray()).toEqual([true, false]);
  });

  it("names what does not fit", () => {
    const t = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => t.topk(4)).toThrow(
      new TensorError("topk: k must be an integer in 1..3, got 4"),
    );
    expect(() => t.item()).toThrow(
      /item\(\) needs a tensor of one element; this one has shape \[2, 3\]/,
    );
    expect(() => f32([], [1]).topk(1)).toThrow(/scalar/);
    expect(f32([], [4]).item()).toBe(4);
  });

  it("topk agrees with a plain sort on random rows", () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.nat(),
        (values, seed) => {
          const row = Float32Array.from(values);
          const k = 1 + (seed % row.length);
          const { values: top, indices } = f32([row.length], [...row]).topk(k);
          const expected = [...row.keys()]
            .sort((a, b) =>
              row[b]! !== row[a]! ? (row[b]! > row[a]! ? 1 : -1) : a - b,
            )
            .slice(0, k);
          expect((indices.toArray() as bigint[]).map(Number)).toEqual(expected);
          expect(top.toArray()).toEqual(expected.map((j) => row[j]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("at selects along the leading axes, negative from the end, as PyTorch's indexing", () => {
    const t = f32([2, 3, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t.at(1).toArray()).toEqual([
      [6, 7],
      [8, 9],
      [10, 11],
    ]);
    expect(t.at(0, -1).toArray()).toEqual([4, 5]);
    expect(t.at(-1, 1, 0).item()).toBe(8);
    expect(t.at(1, -1).argmax().item()).toBe(1);
    expect(() => t.at(2)).toThrow(
      "at: index 2 is out of range for axis 0 of size 2",
    );
    expect(() => t.at(0, 0, 0, 0)).toThrow(
      "at: 4 indices for a tensor of shape [2, 3, 2]",
    );
  });

  it("softmax along the last axis: rows sum to 1, order kept, large logits stay finite", () => {
    const p = f32([2, 3], [1, 2, 3, 1000, 1000, 0]).softmax();
    const [a, b] = p.toArray() as number[][];
    // Reference: numpy.exp(x - x.max()) / sum, computed by hand for [1, 2, 3].
    expect(a![0]).toBeCloseTo(0.09003057, 6);
    expect(a![1]).toBeCloseTo(0.24472847, 6);
    expect(a![2]).toBeCloseTo(0.66524096, 6);
    expect(b).toEqual([0.5, 0.5, 0]);
  });
});

describe("Tensor indexing with one string, as NumPy writes it", () => {
  // 2 x 3 x 4, element [i, j, k] = 100 i + 10 j + k.
  const t = f32(
    [2, 3, 4],
    Array.from(
      { length: 24 },
      (_, n) =>
        100 * Math.floor(n / 12) + 10 * (Math.floor(n / 4) % 3) + (n % 4),
    ),
  );

  it.each<[string, number[], unknown]>([
    ["0, -1", [4], [20, 21, 22, 23]],
    [":, 1, 2", [2], [12, 112]],
    [
      "1, :, ::2",
      [3, 2],
      [
        [100, 102],
        [110, 112],
        [120, 122],
      ],
    ],
    [
      "..., 3",
      [2, 3],
      [
        [3, 13, 23],
        [103, 113, 123],
      ],
    ],
    ["0, [2, 0], -1", [2], [23, 3]],
    ["1, ::-1, 0", [3], [120, 110, 100]],
    ["0, None, 1, 1:3", [1, 2], [[11, 12]]],
  ])("at(%j)", (index, shape, values) => {
    const selected = t.at(index);
    expect(selected.shape).toEqual(shape);
    expect(selected.toArray()).toEqual(values);
  });

  it("numbers still index the leading axes", () => {
    expect(t.at(1, 2).toArray()).toEqual([120, 121, 122, 123]);
  });

  it.each([
    ["0, 5", 'at("0, 5"): index 5 is out of range for axis 1 of size 3'],
    [
      "0, 0, 0, 0",
      'at("0, 0, 0, 0"): 4 index items for a tensor of shape [2, 3, 4]',
    ],
    ["0, a", 'at("0, a"): index item 1: expected an integer'],
  ])("rejects %j", (index, message) => {
    expect(() => t.at(index)).toThrow(message);
    expect(() => t.at(index)).toThrow(TensorError);
  });
});

describe("Tensor arithmetic", () => {
  const a = f32([2, 2], [1, 2, 3, 4]);

  it("broadcasts as NumPy does, in float32", () => {
    expect(a.sub(f32([2], [1, 1])).toArray()).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(a.add(f32([2, 1], [10, 20])).toArray()).toEqual([
      [11, 12],
      [23, 24],
    ]);
    expect(a.mul(2).toArray()).toEqual([
      [2, 4],
      [6, 8],
    ]);
    expect(a.div(f32([], [4])).toArray()).toEqual([
      [0.25, 0.5],
      [0.75, 1],
    ]);
    expect(a.neg().dtype).toBe("float32");
    expect(a.neg().toArray()).toEqual([
      [-1, -2],
      [-3, -4],
    ]);
  });

  it("names shapes that do not broadcast", () => {
    expect(() => a.add(f32([3], [1, 2, 3]))).toThrow(
      "add: shapes [2, 2] and [3] do not broadcast (axis 1: 2 and 3)",
    );
  });

  it("reduces all elements to a scalar", () => {
    expect(a.sum().item()).toBe(10);
    expect(a.mean().item()).toBe(2.5);
    expect(a.max().item()).toBe(4);
    expect(a.min().item()).toBe(1);
    expect(a.sum().shape).toEqual([]);
  });

  it("reshapes and flattens without copying", () => {
    expect(a.flatten().shape).toEqual([4]);
    expect(a.reshape(4, -1).shape).toEqual([4, 1]);
    expect(a.flatten().argmax().item()).toBe(3);
    expect(() => a.reshape(3, -1)).toThrow(
      "reshape: 4 elements (shape [2, 2]) do not fit shape [3, -1]",
    );
  });
});
