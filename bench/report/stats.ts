/** Order statistics of a sample (linear interpolation between ranks). */
export function quantile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = p * (s.length - 1);
  const lo = Math.floor(i);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/** "1.23 s (1.20–1.31)": median, then min to max. */
export function spread(seconds: readonly number[]): string {
  if (seconds.length === 0) return "—";
  return `${median(seconds).toFixed(2)} s (${Math.min(...seconds).toFixed(2)}–${Math.max(...seconds).toFixed(2)})`;
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
