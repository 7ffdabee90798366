/**
 * A number as the result views print it: fixed with `digits` decimals in the
 * usual range, exponential when very large or very small (so 3e-7 does not read
 * as 0), and NaN or ±Infinity by name. The exact value stays in data attributes
 * and titles; this is for reading.
 */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e6 || size < 10 ** -digits))
    return value.toExponential(digits - 1);
  return value.toFixed(digits);
}

/** A probability as a percent with two decimals ("12.34%"). */
export function formatPercent(prob: number): string {
  return `${(prob * 100).toFixed(2)}%`;
}
