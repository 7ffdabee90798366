import type { IndexItem } from "@loupe/graph";

/**
 * Where a NumPy index of a row-major tensor takes its elements from: the
 * result's shape, and for each of its elements (in row-major order) the
 * offset of the source element; or a message naming the item that does not fit.
 */
export function selectElements(
  shape: readonly number[],
  index: readonly IndexItem[],
): { shape: number[]; offsets: number[] } | { error: string } {
  const consumed = index.filter((x) => x !== null && x !== "...").length;
  if (consumed > shape.length)
    return {
      error: `${consumed} index items for a tensor of shape [${shape.join(", ")}]`,
    };
  const picks: number[][] = [];
  const out: number[] = [];
  let axis = 0;
  const keepAll = () => {
    const n = shape[axis++]!;
    picks.push(Array.from({ length: n }, (_, i) => i));
    out.push(n);
  };
  for (const item of index) {
    if (item === null) out.push(1);
    else if (item === "...")
      for (let k = shape.length - consumed; k > 0; k--) keepAll();
    else {
      const n = shape[axis]!;
      const chosen = pick(item, n);
      if (typeof chosen === "string")
        return { error: `${chosen} for axis ${axis} of size ${n}` };
      picks.push(chosen);
      axis++;
      if (typeof item !== "number") out.push(chosen.length);
    }
  }
  while (axis < shape.length) keepAll();
  let offsets = [0];
  picks.forEach((chosen, a) => {
    const n = shape[a]!;
    offsets = offsets.flatMap((o) => chosen.map((i) => o * n + i));
  });
  return { shape: out, offsets };
}

/** The positions an integer, slice or list selects along an axis of size n, or why none. */
function pick(
  item: Exclude<IndexItem, null | "...">,
  n: number,
): number[] | string {
  if (typeof item === "number") {
    const i = item < 0 ? item + n : item;
    return i >= 0 && i < n ? [i] : `index ${item} is out of range`;
  }
  if ("list" in item) {
    const chosen = item.list.map((v) => (v < 0 ? v + n : v));
    const bad = item.list.find((_, k) => chosen[k]! < 0 || chosen[k]! >= n);
    return bad === undefined ? chosen : `index ${bad} is out of range`;
  }
  return sliceRange(n, item.slice);
}

/** Python's range(*slice(start, stop, step).indices(n)). */
function sliceRange(
  n: number,
  [start, stop, step]: readonly [number | null, number | null, number | null],
): number[] {
  const s = step ?? 1;
  const bound = (v: number | null, missing: number, lo: number, hi: number) =>
    v === null ? missing : Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const [from, to] =
    s > 0
      ? [bound(start, 0, 0, n), bound(stop, n, 0, n)]
      : [bound(start, n - 1, -1, n - 1), bound(stop, -1, -1, n - 1)];
  const chosen: number[] = [];
  for (let i = from; s > 0 ? i < to : i > to; i += s) chosen.push(i);
  return chosen;
}
