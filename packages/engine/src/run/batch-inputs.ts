import * as ort from "onnxruntime-node";
import type { ModelPlan } from "../model/model-plan.ts";
import type { InvokeWindow } from "./batch-plan.ts";
import { RunError, type Padding, type PreparedGraph } from "./batch-step.ts";
import { emptyPast } from "./kv-cache.ts";

/** Token rows, per invoke (null: an invoke without input). */
export type InvokeRows = readonly (readonly (readonly number[])[] | null)[];

/** The rows of a batched forward pass, and which of them each graph's invokes see. */
export interface BatchRows {
  /** Every prompt of every invoke with an input, graph after graph. */
  readonly rows: readonly (readonly number[])[];
  /** Per graph (in the order given), each invoke's window (an invoke without input: all of its graph's rows). */
  readonly windows: readonly (readonly InvokeWindow[])[];
}

/**
 * Lays the graphs' token rows of trace t out as one batch: `fed` replaces
 * a graph's rows (a generation step's, by graph index g).
 */
export function batchRows(
  graphs: readonly { prepared: PreparedGraph; g: number }[],
  t: number,
  fed?: ReadonlyMap<number, InvokeRows>,
): BatchRows {
  const rows: (readonly number[])[] = [];
  const windows = graphs.map(({ prepared, g }) => {
    const start = rows.length;
    const own: (InvokeWindow | undefined)[] = [];
    for (const prompts of fed?.get(g) ?? prepared.tokens[t]!) {
      if (!prompts) {
        own.push(undefined);
        continue;
      }
      const r0 = rows.length;
      rows.push(...prompts);
      own.push(windowOf(r0, rows.length, prompts));
    }
    if (rows.length === start)
      throw new RunError(`graph ${g}: trace ${t} has no invoke with an input`);
    const whole = windowOf(start, rows.length, rows.slice(start));
    return own.map((w) => w ?? whole);
  });
  return { rows, windows };
}

/** The window of rows [r0, r1): its longest row, and each row's length when they differ. */
function windowOf(
  r0: number,
  r1: number,
  rows: readonly (readonly number[])[],
): InvokeWindow {
  const lengths = rows.map((p) => p.length);
  const length = Math.max(...lengths);
  return lengths.every((n) => n === length)
    ? { r0, r1, length }
    : { r0, r1, length, rowLengths: lengths };
}

/**
 * The model's inputs for the rows, by input name: token ids, attention mask
 * and positions padded to the longest row, empty key/value caches, or what
 * `feeds` gives (a generation step's cache, mask and positions).
 */
export function modelInputs(
  plan: ModelPlan,
  rows: readonly (readonly number[])[],
  { padding, padId }: { padding: Padding; padId: number },
  feeds?: ReadonlyMap<string, ort.Tensor>,
): Map<string, ort.Tensor> {
  const S = Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const ids = new BigInt64Array(B * S).fill(BigInt(padId));
  const mask = new BigInt64Array(B * S);
  const positions = new BigInt64Array(B * S).fill(1n);
  rows.forEach((row, r) => {
    const offset = padding === "left" ? S - row.length : 0;
    row.forEach((id, j) => {
      ids[r * S + offset + j] = BigInt(id);
      mask[r * S + offset + j] = 1n;
      positions[r * S + offset + j] = BigInt(j);
    });
  });
  const tokenInputs: Readonly<Record<string, BigInt64Array>> = {
    input_ids: ids,
    attention_mask: mask,
    position_ids: positions,
  };
  const env = new Map<string, ort.Tensor>();
  for (const input of plan.inputs) {
    const given = feeds?.get(input.name) ?? emptyPast(input, B);
    if (given) {
      env.set(input.name, given);
      continue;
    }
    const data = Object.hasOwn(tokenInputs, input.name)
      ? tokenInputs[input.name]
      : undefined;
    if (!data)
      throw new RunError(
        `the model takes an input "${input.name}" the engine does not know how to fill`,
      );
    env.set(input.name, new ort.Tensor("int64", data, [B, S]));
  }
  return env;
}
