/**
 * The project's one IEEE 754 binary16 ("half", float16) codec. Every package
 * that turns numbers into float16 bits or back uses these two functions, so a
 * value encodes the same way in a graph constant, an engine tensor and a
 * result view.
 *
 * Written here because `Math.f16round` and `Float16Array` are ES2025: Node 20
 * and older browsers lack them. Encoding rounds the double directly (not via
 * float32, which would round twice) to the nearest half, ties to even, like
 * `Math.f16round` and NumPy's `astype(np.float16)`.
 */

const scratch = new DataView(new ArrayBuffer(8));

/** The largest finite half, 65504 = (2 - 2^-10) * 2^15. */
export const FLOAT16_MAX = 65504;

/** The quiet NaN this codec writes for every NaN (sign clear, top fraction bit set). */
export const FLOAT16_NAN_BITS = 0x7e00;

/**
 * The 16 bits of the half nearest to `value`, ties to even: values at or
 * above 65520 (halfway between 65504 and 2^16) become ±Infinity, values below
 * 2^-14 become subnormals or ±0 (the sign of zero kept), NaN becomes
 * {@link FLOAT16_NAN_BITS}.
 *
 * @example
 * toFloat16Bits(1); // 0x3c00
 * toFloat16Bits(1 + 2 ** -11); // 0x3c00 (a tie, rounded to the even 1)
 * toFloat16Bits(65520); // 0x7c00 (Infinity)
 */
export function toFloat16Bits(value: number): number {
  if (Number.isNaN(value)) return FLOAT16_NAN_BITS;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // In units of the smallest subnormal, 2^-24; a result of 1024 is the
    // smallest normal, whose bits are exactly 0x400.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  scratch.setFloat64(0, a);
  const exponent = ((scratch.getUint16(0) >>> 4) & 0x7ff) - 1023;
  // a / 2^exponent is in [1, 2): exact, as is the scaling by 1024.
  const significand = roundHalfEven((a / 2 ** exponent) * 1024);
  // A significand rounded up to 2048 carries into the exponent, as it should.
  return sign | (((exponent + 15) << 10) + significand - 1024);
}

/**
 * The value of a half given as its 16 bits. Every half is exactly a double, so
 * this is exact: subnormals, ±0, ±Infinity decoded as such, any NaN as NaN.
 *
 * @example
 * fromFloat16Bits(0x3c00); // 1
 * fromFloat16Bits(0x0001); // 2 ** -24
 */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** float16 bits of every value, for a tensor's data. */
export function toFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}

/** The values of float16 bits, widened to float32 (exact: every half is a float32). */
export function fromFloat16Array(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromFloat16Bits(bits[i]!);
  return out;
}

/** `x` rounded to an integer, ties to the even one (x >= 0, below 2^52). */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
