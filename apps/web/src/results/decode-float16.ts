/**
 * The value of an IEEE 754 half float given as its raw 16 bits (how SavedTensor
 * holds float16 data). Written here because `Float16Array` and `Math.f16round`
 * are ES2025: Node 20 and older browsers lack them, and this code runs in both.
 * Every half float is exactly representable as a double, so the result is exact;
 * subnormals, signed zeros, infinities and NaN are decoded as such.
 *
 * @example
 * decodeFloat16(0x3c00); // 1
 * decodeFloat16(0xc000); // -2
 */
export function decodeFloat16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
