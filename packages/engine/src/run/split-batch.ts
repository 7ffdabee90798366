import type { PreparedGraph } from "./batch-step.ts";

/**
 * How a model's activations grow with a batch, fitted at load from two
 * calibration passes: a pass over `rows` rows of `seq` tokens holds about
 * rows · seq · (perToken + perTokenSquared · seq) bytes at its peak (the
 * second term for attention scores, which grow with the square of the
 * sequence).
 */
export interface ActivationModel {
  readonly perToken: number;
  readonly perTokenSquared: number;
}

/** Fits the model from peaks measured at one row of `a.seq` and of `b.seq` tokens. */
export function fitActivationModel(
  a: { seq: number; peak: number },
  b: { seq: number; peak: number },
): ActivationModel {
  const ra = a.peak / a.seq;
  const rb = b.peak / b.seq;
  const perTokenSquared = Math.max(0, (rb - ra) / (b.seq - a.seq));
  return {
    perToken: Math.max(
      0,
      ra - perTokenSquared * a.seq,
      rb - perTokenSquared * b.seq,
    ),
    perTokenSquared,
  };
}

/** Estimated peak bytes of activations of a pass of `rows` rows of `seq` tokens. */
export const estimateActivations = (
  model: ActivationModel,
  rows: number,
  seq: number,
): number => rows * seq * (model.perToken + model.perTokenSquared * seq);

/** The rows and the longest sequence a graph puts into the batch (its largest trace). */
export function batchShapeOf(
  prepared: PreparedGraph,
): { rows: number; seq: number }[] {
  return prepared.tokens.map((invokes, t) => {
    const prompts = invokes.flatMap((p) => p ?? []);
    const extra = prepared.graph.traces[t]?.generate?.maxNewTokens ?? 0;
    return {
      rows: prompts.length,
      seq: Math.max(0, ...prompts.map((p) => p.length)) + extra,
    };
  });
}

/**
 * Splits graphs into consecutive batches whose estimated activations fit
 * `available` bytes, in order (first fit, so a user's graphs keep their turn).
 * A graph that does not fit alone is returned in `tooBig`, never run.
 */
export function splitBatch(
  graphs: readonly PreparedGraph[],
  model: ActivationModel,
  available: number,
): { batches: number[][]; tooBig: { index: number; bytes: number }[] } {
  const batches: number[][] = [];
  const tooBig: { index: number; bytes: number }[] = [];
  let current: number[] = [];
  let shape: { rows: number; seq: number }[] = [];
  const cost = (s: { rows: number; seq: number }[]) =>
    Math.max(0, ...s.map((x) => estimateActivations(model, x.rows, x.seq)));
  const merge = (
    a: { rows: number; seq: number }[],
    b: { rows: number; seq: number }[],
  ) =>
    Array.from({ length: Math.max(a.length, b.length) }, (_, t) => ({
      rows: (a[t]?.rows ?? 0) + (b[t]?.rows ?? 0),
      seq: Math.max(a[t]?.seq ?? 0, b[t]?.seq ?? 0),
    }));
  graphs.forEach((graph, index) => {
    const own = batchShapeOf(graph);
    if (cost(own) > available) {
      tooBig.push({ index, bytes: Math.round(cost(own)) });
      return;
    }
    const joined = merge(shape, own);
    if (current.length > 0 && cost(joined) > available) {
      batches.push(current);
      current = [index];
      shape = own;
    } else {
      current.push(index);
      shape = joined;
    }
  });
  if (current.length > 0) batches.push(current);
  return { batches, tooBig };
}
