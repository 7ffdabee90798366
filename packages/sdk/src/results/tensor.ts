import { parseIndex, type SavedTensor } from "@loupe/graph";
import {
  broadcastBinary,
  halfToNumber,
  toNumbers,
} from "./tensor-arithmetic.ts";
import { selectElements } from "./tensor-index.ts";

/** Nested arrays of a tensor's elements (numbers; bigints for int64, booleans for bool). */
export type NestedArray = number | bigint | boolean | NestedArray[];

/** Raised when a tensor operation is given an axis, index or k that does not fit. */
export class TensorError extends Error {
  override readonly name = "TensorError";
}

/**
 * A saved value as a script sees it: shape, dtype and row-major data, with the
 * helpers interpretability scripts reach for (indexing, arithmetic, argmax,
 * topk, toArray), in pure TypeScript. The same class wraps local and remote
 * results, so code that reads them is the same. Indexing takes one string as
 * NumPy writes it (`.at(":, -1")`), as traced values do; arithmetic
 * broadcasts as NumPy does and gives float32.
 *
 * @example
 * const next = result.saves.logits.argmax(); // [batch, tokens]
 * const { values, indices } = result.saves.logits.topk(5);
 * const diff = after.at("0, -1").sub(before.at("0, -1"));
 */
export class Tensor {
  constructor(readonly saved: SavedTensor) {}

  get shape(): readonly number[] {
    return this.saved.shape;
  }
  get dtype(): SavedTensor["dtype"] {
    return this.saved.dtype;
  }
  /** Number of elements. */
  get size(): number {
    return this.saved.shape.reduce((a, b) => a * b, 1);
  }

  /** Element `i` of the flat row-major data, as a number (float16 decoded). */
  #number(i: number): number {
    const { dtype, data } = this.saved;
    if (dtype === "float16") return halfToNumber(data[i]!);
    return Number(data[i]);
  }

  /** The one element of a tensor of size 1. */
  item(): number {
    if (this.size !== 1)
      throw new TensorError(
        `item() needs a tensor of one element; this one has shape [${this.shape.join(", ")}]`,
      );
    return this.#number(0);
  }

  /** The elements as nested arrays, outermost axis first. */
  toArray(): NestedArray {
    const { dtype, data, shape } = this.saved;
    const element = (i: number): number | bigint | boolean =>
      dtype === "int64"
        ? data[i]!
        : dtype === "bool"
          ? data[i] === 1
          : this.#number(i);
    const build = (axis: number, offset: number): NestedArray => {
      if (axis === shape.length) return element(offset);
      const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[axis]! }, (_, k) =>
        build(axis + 1, offset + k * stride),
      );
    };
    return build(0, 0);
  }

  /**
   * `x[index]`: with numbers, the sub-tensor at these indices of the leading
   * axes (negative counts from the end), without copying: `logits.at(0, -1)`
   * is the last position's logits of the first row, as `logits[0, -1]` in
   * PyTorch. With one string, any NumPy index of integers, slices, one list,
   * `...` and `None` (a copy): `sweep.at(":, 1")`, `logits.at("0, -1, [5, 9]")`.
   */
  at(...indices: number[] | [index: string]): Tensor {
    if (typeof indices[0] === "string") return this.#select(indices[0]);
    return this.#view(indices as number[]);
  }

  #select(text: string): Tensor {
    let selected;
    try {
      selected = selectElements(this.shape, parseIndex([text]));
    } catch (error) {
      throw new TensorError(`at("${text}"): ${(error as Error).message}`);
    }
    if ("error" in selected)
      throw new TensorError(`at("${text}"): ${selected.error}`);
    const { data } = this.saved;
    const Data = data.constructor as new (n: number) => typeof data;
    const out = new Data(selected.offsets.length);
    selected.offsets.forEach((o, i) => (out[i] = data[o]!));
    return new Tensor({
      ...this.saved,
      shape: selected.shape,
      data: out,
    } as SavedTensor);
  }

  #view(indices: number[]): Tensor {
    const { shape } = this;
    if (indices.length > shape.length)
      throw new TensorError(
        `at: ${indices.length} indices for a tensor of shape [${shape.join(", ")}]`,
      );
    let offset = 0;
    for (const [axis, index] of indices.entries()) {
      const n = shape[axis]!;
      const i = index < 0 ? index + n : index;
      if (!Number.isInteger(index) || i < 0 || i >= n)
        throw new TensorError(
          `at: index ${index} is out of range for axis ${axis} of size ${n}`,
        );
      offset = offset * n + i;
    }
    const rest = shape.slice(indices.length);
    const stride = rest.reduce((a, b) => a * b, 1);
    const { data } = this.saved;
    return new Tensor({
      ...this.saved,
      shape: rest,
      data: data.subarray(offset * stride, (offset + 1) * stride),
    } as SavedTensor);
  }

  /** `this + other`, elementwise with broadcasting, as float32. */
  add(other: Tensor | number): Tensor {
    return this.#binary("add", other, (x, y) => x + y);
  }
  /** `this - other` (see add). */
  sub(other: Tensor | number): Tensor {
    return this.#binary("sub", other, (x, y) => x - y);
  }
  /** `this * other` (see add). */
  mul(other: Tensor | number): Tensor {
    return this.#binary("mul", other, (x, y) => x * y);
  }
  /** `this / other` (see add). */
  div(other: Tensor | number): Tensor {
    return this.#binary("div", other, (x, y) => x / y);
  }
  neg(): Tensor {
    return this.mul(-1);
  }

  /** The sum of all elements, as a float32 scalar. */
  sum(): Tensor {
    return scalar(toNumbers(this.saved).reduce((a, b) => a + b, 0));
  }
  /** The mean of all elements, as a float32 scalar. */
  mean(): Tensor {
    return scalar(this.sum().item() / this.size);
  }
  /** The largest element, as a float32 scalar (NaN if any is NaN). */
  max(): Tensor {
    return scalar(this.#extreme((a, b) => Math.max(a, b), "max"));
  }
  /** The smallest element, as a float32 scalar (NaN if any is NaN). */
  min(): Tensor {
    return scalar(this.#extreme((a, b) => Math.min(a, b), "min"));
  }

  /** The same elements in a new shape (one dimension may be -1), without copying. */
  reshape(...shape: number[]): Tensor {
    const known = shape.filter((n) => n !== -1).reduce((a, b) => a * b, 1);
    const out = shape.map((n) => (n === -1 ? this.size / known : n));
    if (
      shape.filter((n) => n === -1).length > 1 ||
      out.some((n) => !Number.isInteger(n) || n < 0) ||
      out.reduce((a, b) => a * b, 1) !== this.size
    )
      throw new TensorError(
        `reshape: ${this.size} elements (shape [${this.shape.join(", ")}]) do not fit shape [${shape.join(", ")}]`,
      );
    return new Tensor({ ...this.saved, shape: out });
  }
  /** The elements as one axis (row-major), without copying. */
  flatten(): Tensor {
    return this.reshape(-1);
  }

  /** Softmax along the last axis, as float32 (computed in float64, max subtracted). */
  softmax(): Tensor {
    const { shape } = this;
    if (shape.length === 0)
      throw new TensorError(
        "softmax needs at least one axis; this tensor is a scalar",
      );
    const n = shape.at(-1)!;
    const out = new Float32Array(this.size);
    for (let r = 0; r < this.size / n; r++) {
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, this.#number(r * n + j));
      let sum = 0;
      for (let j = 0; j < n; j++)
        sum += Math.exp(this.#number(r * n + j) - max);
      for (let j = 0; j < n; j++)
        out[r * n + j] = Math.exp(this.#number(r * n + j) - max) / sum;
    }
    return new Tensor({ dtype: "float32", shape: [...shape], data: out });
  }

  /** Indices of the largest element along the last axis (the first on ties). */
  argmax(): Tensor {
    return this.topk(1).indices.#squeezeLast();
  }

  /**
   * The `k` largest elements along the last axis, largest first (ties keep the
   * lower index first), and their indices (int64), each of shape [..., k].
   */
  topk(k: number): { values: Tensor; indices: Tensor } {
    const { shape } = this;
    if (shape.length === 0)
      throw new TensorError(
        "topk needs at least one axis; this tensor is a scalar",
      );
    const n = shape.at(-1)!;
    if (!Number.isInteger(k) || k < 1 || k > n)
      throw new TensorError(`topk: k must be an integer in 1..${n}, got ${k}`);
    const rows = this.size / n;
    const values = new Float32Array(rows * k);
    const indices = new BigInt64Array(rows * k);
    const order = Array.from({ length: n }, (_, j) => j);
    for (let r = 0; r < rows; r++) {
      const at = (j: number) => this.#number(r * n + j);
      const best = [...order].sort((a, b) => {
        const d = cmp(at(b), at(a));
        return d !== 0 ? d : a - b;
      });
      for (let j = 0; j < k; j++) {
        values[r * k + j] = at(best[j]!);
        indices[r * k + j] = BigInt(best[j]!);
      }
    }
    const out = [...shape.slice(0, -1), k];
    return {
      values: new Tensor({ dtype: "float32", shape: out, data: values }),
      indices: new Tensor({ dtype: "int64", shape: out, data: indices }),
    };
  }

  #binary(
    name: string,
    other: Tensor | number,
    f: (x: number, y: number) => number,
  ): Tensor {
    if (typeof other === "number")
      return new Tensor({
        dtype: "float32",
        shape: [...this.shape],
        data: Float32Array.from(toNumbers(this.saved), (x) => f(x, other)),
      });
    const out = broadcastBinary(this.saved, other.saved, f);
    if ("error" in out) throw new TensorError(`${name}: ${out.error}`);
    return new Tensor(out);
  }

  #extreme(f: (a: number, b: number) => number, name: string): number {
    if (this.size === 0) throw new TensorError(`${name}() of an empty tensor`);
    return toNumbers(this.saved).reduce(f);
  }

  #squeezeLast(): Tensor {
    return new Tensor({
      ...this.saved,
      shape: this.shape.slice(0, -1),
    });
  }
}

/** Descending order with NaN largest, as PyTorch's topk and argmax treat it. */
function cmp(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A float32 scalar (shape []). */
function scalar(value: number): Tensor {
  return new Tensor({
    dtype: "float32",
    shape: [],
    data: Float32Array.of(value),
  });
}
