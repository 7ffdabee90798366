import type { Dim, Shape } from "./shape.ts";

/**
 * One item of a NumPy-style index, as stored in the graph format:
 * an integer (drops the axis), a slice `{ slice: [start, stop, step] }` (nulls
 * are NumPy's omitted bounds), an index list `{ list: [...] }`, `"..."` (the
 * ellipsis) or `null` (a new axis, NumPy's `None`).
 */
export type IndexItem =
  | number
  | { slice: [number | null, number | null, number | null] }
  | { list: number[] }
  | "..."
  | null;

/** A whole index: the items between the brackets of `x[...]`. */
export type IndexSpec = IndexItem[];

/** Raised for an index the syntax does not allow; the message names the item. */
export class IndexSyntaxError extends Error {
  override readonly name = "IndexSyntaxError";
  readonly code = "INDEX_SYNTAX";
}

const SLICE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

/**
 * Parses the arguments of `.get(...)` / `.set(...)` into an index. Accepted, per
 * item: an integer (`6`, `-1`), a slice string (`":"`, `"1:"`, `":-1"`, `"::2"`,
 * `"1:9:2"`), an index list (`[394, 5490, 8929]`), `"..."`, or `null` for a new
 * axis. A single string is parsed as a whole NumPy index, as written
 * between the brackets (`":, -1, [1, 2]"`, Loupe's documented idiom) or
 * with them (`"[:, -1, [1, 2]]"`).
 *
 * @example parseIndex([":, 6, :"]) // [{slice:[null,null,null]}, 6, {slice:[null,null,null]}]
 */
export function parseIndex(args: readonly unknown[]): IndexItem[] {
  if (args.length === 1 && typeof args[0] === "string") {
    const text = args[0].trim();
    if (text.startsWith("[")) return parseIndexString(args[0]);
    const parts = splitIndexText(text, args[0]);
    if (parts.length > 1) return parseIndex(parts);
  }
  const items = args.map((arg, i) => parseItem(arg, i));
  if (items.filter((x) => x === "...").length > 1) {
    throw new IndexSyntaxError("an index can have only one ellipsis (...)");
  }
  return items;
}

function parseItem(arg: unknown, position: number): IndexItem {
  const where = `index item ${position}`;
  if (arg === null) return null;
  if (typeof arg === "number") {
    if (!Number.isInteger(arg))
      throw new IndexSyntaxError(`${where}: expected an integer, got ${arg}`);
    return arg;
  }
  if (Array.isArray(arg)) {
    if (
      arg.length === 0 ||
      !arg.every((v) => typeof v === "number" && Number.isInteger(v))
    ) {
      throw new IndexSyntaxError(
        `${where}: expected a non-empty list of integers, got ${JSON.stringify(arg)}`,
      );
    }
    return { list: arg as number[] };
  }
  if (typeof arg === "string") {
    const text = arg.trim();
    if (text === "..." || text === "…") return "...";
    if (text === "None" || text === "newaxis") return null;
    if (/^-?\d+$/.test(text)) return Number(text);
    const m = SLICE.exec(text);
    if (m) {
      const num = (s: string | undefined) =>
        s === undefined ? null : Number(s);
      const step = num(m[3]);
      if (step === 0)
        throw new IndexSyntaxError(
          `${where}: slice step cannot be zero ("${arg}")`,
        );
      return { slice: [num(m[1]), num(m[2]), step] };
    }
    if (text.startsWith("[") && text.endsWith("]")) {
      const values = text
        .slice(1, -1)
        .split(",")
        .map((v) => v.trim());
      if (values.length > 0 && values.every((v) => /^-?\d+$/.test(v)))
        return { list: values.map(Number) };
    }
  }
  throw new IndexSyntaxError(
    `${where}: expected an integer, a slice like "1:5", a list of integers, "..." or null, got ${JSON.stringify(arg)}`,
  );
}

/** Parses "[a, b, [c, d]]": the index between its brackets. */
function parseIndexString(source: string): IndexItem[] {
  const inner = source.trim().slice(1, -1);
  if (!source.trim().endsWith("]"))
    throw new IndexSyntaxError(`index "${source}": missing closing ]`);
  return parseIndex(splitIndexText(inner, source));
}

/** Splits "a, b, [c, d]" at its top-level commas (`source` is the index as given, for messages). */
function splitIndexText(inner: string, source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of inner) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (depth < 0)
      throw new IndexSyntaxError(`index "${source}": unbalanced ]`);
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (depth !== 0)
    throw new IndexSyntaxError(`index "${source}": unbalanced [`);
  if (current.trim() !== "" || parts.length > 0) parts.push(current);
  return parts.map((p) => p.trim());
}

/** The shape an index selects, or a message naming what is out of range. */
export function indexedShape(
  shape: Shape,
  index: readonly IndexItem[],
): { shape: Dim[] } | { error: string } {
  const consumed = index.filter((x) => x !== null && x !== "...").length;
  if (consumed > shape.length) {
    return {
      error: `index has ${consumed} items for a tensor of rank ${shape.length}`,
    };
  }
  if (
    index.filter((x) => typeof x === "object" && x !== null && "list" in x)
      .length > 1
  ) {
    return { error: "at most one index list per index is supported" };
  }
  const out: Dim[] = [];
  let axis = 0;
  for (const item of index) {
    if (item === null) {
      out.push(1);
      continue;
    }
    if (item === "...") {
      const skip = shape.length - consumed;
      for (let k = 0; k < skip; k++) out.push(shape[axis++]!);
      continue;
    }
    const dim = shape[axis]!;
    if (typeof item === "number") {
      if (typeof dim === "number" && (item >= dim || item < -dim)) {
        return {
          error: `index ${item} is out of range for axis ${axis} of size ${dim}`,
        };
      }
    } else if ("list" in item) {
      const bad =
        typeof dim === "number"
          ? item.list.find((v) => v >= dim || v < -dim)
          : undefined;
      if (bad !== undefined)
        return {
          error: `index ${bad} is out of range for axis ${axis} of size ${dim}`,
        };
      out.push(item.list.length);
    } else {
      out.push(sliceLength(dim, item.slice));
    }
    axis++;
  }
  while (axis < shape.length) out.push(shape[axis++]!);
  return { shape: out };
}

/** Python's slice length for a known size; a derived symbol for a symbolic one. */
function sliceLength(
  dim: Dim,
  [start, stop, step]: [number | null, number | null, number | null],
): Dim {
  const s = step ?? 1;
  if (typeof dim !== "number") {
    return start === null && stop === null && s === 1
      ? dim
      : `${dim}[${start ?? ""}:${stop ?? ""}${step === null ? "" : `:${step}`}]`;
  }
  // CPython's PySlice_AdjustIndices.
  const adjust = (
    v: number | null,
    fallback: number,
    lo: number,
    hi: number,
  ) => {
    if (v === null) return fallback;
    const w = v < 0 ? v + dim : v;
    return w < lo ? lo : w > hi ? hi : w;
  };
  if (s > 0) {
    const a = adjust(start, 0, 0, dim);
    const b = adjust(stop, dim, 0, dim);
    return a < b ? Math.floor((b - a - 1) / s) + 1 : 0;
  }
  const a = adjust(start, dim - 1, -1, dim - 1);
  const b = adjust(stop, -1, -1, dim - 1);
  return b < a ? Math.floor((a - b - 1) / -s) + 1 : 0;
}

/** Renders an index in NumPy syntax: [:, 6, :]. */
export function formatIndex(index: readonly IndexItem[]): string {
  const item = (x: IndexItem): string => {
    if (x === null) return "None";
    if (x === "...") return "...";
    if (typeof x === "number") return String(x);
    if ("list" in x) return `[${x.list.join(", ")}]`;
    const [a, b, c] = x.slice;
    return `${a ?? ""}:${b ?? ""}${c === null ? "" : `:${c}`}`;
  };
  return `[${index.map(item).join(", ")}]`;
}
