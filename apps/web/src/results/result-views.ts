import type { SavedTensor } from "@loupe/graph";
import { findAttentionPattern } from "./attention-pattern";
import { labelAxis } from "./label-axis";
import { readElement } from "./read-element";
import { findTopTokens, type TokenEntry } from "./top-tokens";

export type { TokenEntry } from "./top-tokens";

/** How the portal shows one result: plain, serialisable data (a server component can pass it to a client one). */
export type ResultView =
  | GenericResultView
  | {
      kind: "attention";
      name: string;
      /** By batch row, head, query and key (see findAttentionPattern). */
      patterns: number[][][][];
      queryLabels: string[];
      keyLabels: string[];
      /** The view the other rules give the same tensor, which a reader can switch to. */
      generic: GenericResultView;
    };

/** The views any tensor can get by its shape alone (every kind but "attention"). */
export type GenericResultView =
  | {
      kind: "heatmap";
      name: string;
      rowAxis: string;
      colAxis: string;
      rowLabels: string[];
      colLabels: string[];
      values: number[][];
    }
  | {
      kind: "logit-lens";
      name: string;
      rows: { label: string; top: TokenEntry[] }[];
    }
  | { kind: "top-k"; name: string; position: string; entries: TokenEntry[] }
  | {
      kind: "line";
      name: string;
      xAxis: string;
      points: { x: number; y: number }[];
    }
  | {
      kind: "tensor";
      name: string;
      dtype: string;
      shape: number[];
      preview: number[];
      min: number;
      max: number;
      mean: number;
    };

/** What the portal knows about the run's model and prompt, to label views. */
export interface ResultContext {
  /** The model's vocabulary size (last dim of logits); undefined when unknown. */
  vocabSize?: number;
  /** Decodes token ids to text (the model tokenizer); token strings shown as-is. */
  decode?: (ids: number[]) => string;
  /** The first invoke's prompt, one string per token, to label a "position" axis. */
  promptTokens?: string[];
}

const LENS_TOP = 5;
const TOP_K = 10;
const HEATMAP_MAX_SIDE = 128;
const LINE_MIN = 2;
const LINE_MAX = 4096;
const PREVIEW = 16;
const LENS_NAME = /^(.*?)(\d+)$/;

interface Entry {
  name: string;
  tensor: SavedTensor;
  /** The shape without its leading size-1 dims. */
  shape: number[];
  /** Axis names for `shape` from the name's bracket suffix, or undefined. */
  axes: string[] | undefined;
}

/**
 * Turns a run's saved tensors into the views the portal shows. These rules are
 * the portal's contract for how results look:
 *
 * 1. Each shape is first squeezed of its leading size-1 dims (a batch of one).
 * 2. Logit lens: two or more float saves named `<prefix><digits>` with the same
 *    prefix (`layer0` … `layer11`) whose last dim is `vocabSize` make ONE
 *    "logit-lens" view named by the prefix, rows in numeric order, each row the
 *    save's name and the top 5 tokens of the softmax of its last position. Those
 *    saves are not shown on their own.
 * 3. Any other float tensor whose last dim is `vocabSize` → "top-k": the top 10
 *    of the softmax at its last position; `position` says which
 *    ("last position (8)", or "only position" for a single vector).
 * 4. A 2-D float tensor with both dims in 1..128 → "heatmap". Axis names come
 *    from the name's bracket suffix (`attn[head,position]`, see parseSaveName),
 *    else "dim 0"/"dim 1". Labels are indices, except an axis named "position" as
 *    long as the prompt (`3: " Louvre"`) and an axis named "layer" (`L3`). Values
 *    are the stored floats, unrounded.
 * 5. A 1-D float tensor of length 2..4096 → "line", x = index, `xAxis` from the
 *    bracket suffix or "index".
 * 6. Anything else (scalars, ints, bools, bigger tensors) → "tensor": dtype,
 *    shape, the first 16 elements, and min/max/mean over all elements (NaN when
 *    the tensor is empty or holds a NaN).
 * 7. A float tensor saved as `[heads, query, key]` or `[batch, heads, query,
 *    key]` whose rows are probability distributions (findAttentionPattern) →
 *    "attention": every head's weights with the prompt's tokens on both axes,
 *    carrying the view rules 4–6 give it as `generic`, so a reader can switch.
 *    Rule 3 wins over it (a vocabulary-sized last dim is a top-k).
 *
 * Views come in the record's order, a logit-lens group where its first member
 * was. Float16 is decoded exactly; int64 goes through `Number`. Without a
 * tokenizer, tokens read `#<id>`.
 *
 * Throws a RangeError naming the tensor when its data length is not its shape's
 * element count (fromSafetensors never returns such a tensor).
 *
 * @example
 * const { tensors } = fromSafetensors(bytes);
 * const views = buildResultViews(tensors, { vocabSize: 50257, decode: (ids) => tokenizer.decode(ids) });
 */
export function buildResultViews(
  tensors: Record<string, SavedTensor>,
  context: ResultContext,
): ResultView[] {
  const entries = Object.entries(tensors).map(([name, tensor]) =>
    toEntry(name, tensor),
  );
  const lenses = groupLogitLenses(entries, context.vocabSize);
  const views: ResultView[] = [];
  for (const entry of entries) {
    const lens = lenses.get(entry.name);
    if (lens === undefined) views.push(buildView(entry, context));
    else if (lens.members[0] === entry)
      views.push({
        kind: "logit-lens",
        name: lens.prefix,
        rows: lens.ordered.map((m) => ({
          label: m.name,
          top: lastPositionTop(m, LENS_TOP, context).entries,
        })),
      });
  }
  return views;
}

/**
 * Parses a save name's axis suffix: "logit_diff[layer,position]" ->
 * {base:"logit_diff", axes:["layer","position"]}. Axis names and the base are
 * trimmed of spaces; "x[]" has no axes. A name without a final `[...]`, or whose
 * brackets hold an empty axis name ("x[a,]") or nested brackets, is all base.
 */
export function parseSaveName(name: string): { base: string; axes: string[] } {
  const match = /^(.*?)\[([^[\]]*)\]\s*$/s.exec(name);
  if (match === null) return { base: name.trim(), axes: [] };
  const inner = match[2]!.trim();
  const axes = inner === "" ? [] : inner.split(",").map((a) => a.trim());
  if (axes.some((a) => a === "")) return { base: name.trim(), axes: [] };
  return { base: match[1]!.trim(), axes };
}

function toEntry(name: string, tensor: SavedTensor): Entry {
  const count = tensor.shape.reduce((a, d) => a * d, 1);
  if (count !== tensor.data.length)
    throw new RangeError(
      `result "${name}": shape [${tensor.shape.join(",")}] has ${count} elements, but its data has ${tensor.data.length}`,
    );
  let lead = 0;
  while (lead < tensor.shape.length && tensor.shape[lead] === 1) lead++;
  const shape = tensor.shape.slice(lead);
  const { axes } = parseSaveName(name);
  // Axes may name the squeezed shape or the saved one (then the squeezed dims drop).
  const named =
    axes.length === shape.length
      ? axes
      : axes.length === tensor.shape.length
        ? axes.slice(lead)
        : undefined;
  return { name, tensor, shape, axes: named };
}

function isFloat(entry: Entry): boolean {
  return entry.tensor.dtype === "float32" || entry.tensor.dtype === "float16";
}

function isLogits(entry: Entry, vocabSize: number | undefined): boolean {
  return (
    vocabSize !== undefined &&
    vocabSize > 0 &&
    isFloat(entry) &&
    entry.shape.at(-1) === vocabSize &&
    entry.tensor.data.length > 0
  );
}

interface LensGroup {
  prefix: string;
  /** In the record's order. */
  members: Entry[];
  /** By the name's number. */
  ordered: Entry[];
}

function groupLogitLenses(
  entries: Entry[],
  vocabSize: number | undefined,
): Map<string, LensGroup> {
  const byPrefix = new Map<string, { entry: Entry; index: number }[]>();
  for (const entry of entries) {
    const match = LENS_NAME.exec(entry.name);
    if (match === null || !isLogits(entry, vocabSize)) continue;
    const prefix = match[1]!;
    const list = byPrefix.get(prefix) ?? [];
    list.push({ entry, index: Number(match[2]) });
    byPrefix.set(prefix, list);
  }
  const groups = new Map<string, LensGroup>();
  for (const [prefix, list] of byPrefix) {
    if (list.length < 2) continue;
    const group: LensGroup = {
      prefix,
      members: list.map((m) => m.entry),
      ordered: list.toSorted((a, b) => a.index - b.index).map((m) => m.entry),
    };
    for (const m of list) groups.set(m.entry.name, group);
  }
  return groups;
}

function lastPositionTop(
  entry: Entry,
  k: number,
  context: ResultContext,
): { position: string; entries: TokenEntry[] } {
  const vocab = entry.shape.at(-1)!;
  const leading = entry.shape.slice(0, -1);
  const offset = entry.tensor.data.length - vocab;
  return {
    position:
      leading.length === 0
        ? "only position"
        : `last position (${leading.map((d) => d - 1).join(", ")})`,
    entries: findTopTokens(
      readElement(entry.tensor),
      offset,
      vocab,
      k,
      context.decode,
    ),
  };
}

function buildView(entry: Entry, context: ResultContext): ResultView {
  const generic = buildGenericView(entry, context);
  if (generic.kind === "top-k" || !isFloat(entry)) return generic;
  const pattern = findAttentionPattern(
    entry.tensor,
    readElement(entry.tensor),
    context.promptTokens,
  );
  return pattern === undefined
    ? generic
    : { kind: "attention", name: entry.name, ...pattern, generic };
}

function buildGenericView(
  entry: Entry,
  context: ResultContext,
): GenericResultView {
  const { name, shape } = entry;
  const read = readElement(entry.tensor);
  if (isLogits(entry, context.vocabSize))
    return { kind: "top-k", name, ...lastPositionTop(entry, TOP_K, context) };
  if (isFloat(entry) && shape.length === 2) {
    const [rows, cols] = shape as [number, number];
    if (
      rows >= 1 &&
      cols >= 1 &&
      rows <= HEATMAP_MAX_SIDE &&
      cols <= HEATMAP_MAX_SIDE
    ) {
      const [rowAxis, colAxis] = entry.axes ?? ["dim 0", "dim 1"];
      return {
        kind: "heatmap",
        name,
        rowAxis: rowAxis!,
        colAxis: colAxis!,
        rowLabels: labelAxis(rowAxis!, rows, context.promptTokens),
        colLabels: labelAxis(colAxis!, cols, context.promptTokens),
        values: Array.from({ length: rows }, (_, i) =>
          Array.from({ length: cols }, (_, j) => read(i * cols + j)),
        ),
      };
    }
  }
  if (
    isFloat(entry) &&
    shape.length === 1 &&
    shape[0]! >= LINE_MIN &&
    shape[0]! <= LINE_MAX
  )
    return {
      kind: "line",
      name,
      xAxis: entry.axes?.[0] ?? "index",
      points: Array.from({ length: shape[0]! }, (_, x) => ({ x, y: read(x) })),
    };
  return summarize(entry, read);
}

function summarize(
  entry: Entry,
  read: (i: number) => number,
): GenericResultView {
  const count = entry.tensor.data.length;
  let min = count === 0 ? NaN : Infinity;
  let max = count === 0 ? NaN : -Infinity;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const v = read(i);
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return {
    kind: "tensor",
    name: entry.name,
    dtype: entry.tensor.dtype,
    shape: [...entry.tensor.shape],
    preview: Array.from({ length: Math.min(PREVIEW, count) }, (_, i) =>
      read(i),
    ),
    min,
    max,
    mean: count === 0 ? NaN : sum / count,
  };
}
