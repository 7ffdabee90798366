/**
 * A dimension: a number when known, or a symbol (`batch`, `seq`, `seq@t0.i1`)
 * when it depends on inputs not known while building the graph.
 */
export type Dim = number | string;

/** A tensor shape, outermost dimension first. */
export type Shape = readonly Dim[];

/** Renders a shape the way messages show it: [batch,seq,768]. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** The number of elements, when every dimension is known. */
export function knownSize(shape: Shape): number | undefined {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    size *= d;
  }
  return size;
}

/**
 * NumPy broadcasting of two shapes. A symbolic dimension is compatible with 1,
 * with itself, and (not decidable while building) with any number or symbol: the
 * engine checks those at run time. Returns undefined when two known sizes differ
 * and neither is 1.
 */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | undefined {
  const out: Dim[] = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else if (typeof x === "number" && typeof y === "number") return undefined;
    else out.push(typeof x === "number" ? x : y);
  }
  return out;
}

/** Resolves a possibly negative axis against a rank; undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}
