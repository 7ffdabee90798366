import type { SavedTensor } from "@loupe/graph";

/** A tensor's elements as numbers, row-major (float16 decoded, int64 and bool as numbers). */
export function toNumbers(saved: SavedTensor): Float64Array {
  const { dtype, data } = saved;
  if (dtype === "float16") return Float64Array.from(data, halfToNumber);
  if (dtype === "int64") return Float64Array.from(data, (v) => Number(v));
  return Float64Array.from(data);
}

/**
 * Elementwise `f(a, b)` with NumPy's broadcasting, as float32; or a message
 * when the shapes do not broadcast.
 */
export function broadcastBinary(
  a: SavedTensor,
  b: SavedTensor,
  f: (x: number, y: number) => number,
): SavedTensor | { error: string } {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [
    ...Array<number>(rank - s.length).fill(1),
    ...s,
  ];
  const [sa, sb] = [pad(a.shape), pad(b.shape)];
  const shape: number[] = [];
  for (let k = 0; k < rank; k++) {
    if (sa[k] !== sb[k] && sa[k] !== 1 && sb[k] !== 1)
      return {
        error: `shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] do not broadcast (axis ${k}: ${sa[k]} and ${sb[k]})`,
      };
    shape.push(sa[k] === 1 ? sb[k]! : sa[k]!);
  }
  const [xa, xb] = [toNumbers(a), toNumbers(b)];
  const size = shape.reduce((p, n) => p * n, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let [rest, ia, ib, strideA, strideB] = [i, 0, 0, 1, 1];
    for (let k = rank - 1; k >= 0; k--) {
      const coord = rest % shape[k]!;
      rest = Math.floor(rest / shape[k]!);
      if (sa[k] !== 1) ia += coord * strideA;
      if (sb[k] !== 1) ib += coord * strideB;
      strideA *= sa[k]!;
      strideB *= sb[k]!;
    }
    data[i] = f(xa[ia]!, xb[ib]!);
  }
  return { dtype: "float32", shape, data };
}

/** An IEEE 754 half float, from its 16 bits. */
export function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
