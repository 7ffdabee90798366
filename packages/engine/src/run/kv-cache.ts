import * as ort from "onnxruntime-node";
import { OnnxElementType } from "@loupe/graph";
import type { ModelPlan } from "../model/model-plan.ts";
import type { ValueInfo } from "../onnx/onnx-bytes.ts";

/**
 * A key/value cache as optimum exports it: inputs `past_key_values.<i>.key`
 * and `.value` of shape [batch, heads, past, head_dim], outputs
 * `present.<i>.key`/`.value` with the step's positions appended, and an
 * attention_mask that covers past and new positions.
 */
const PAST = /^past_key_values\.(\d+)\.(key|value)$/;

export interface KvLayout {
  /** Each cache input and the output that becomes it at the next step. */
  readonly pairs: readonly {
    readonly past: string;
    readonly present: string;
  }[];
}

/** The model's key/value cache, if its export has one (every past input with its present output). */
export function kvLayout(plan: ModelPlan): KvLayout | undefined {
  const outputs = new Set(plan.outputs.map((o) => o.name));
  const pairs = plan.inputs.flatMap((i) => {
    const m = PAST.exec(i.name);
    if (!m) return [];
    const present = `present.${m[1]}.${m[2]}`;
    return outputs.has(present) ? [{ past: i.name, present }] : [];
  });
  const pastInputs = plan.inputs.filter((i) => PAST.test(i.name)).length;
  return pairs.length > 0 && pairs.length === pastInputs
    ? { pairs }
    : undefined;
}

/**
 * An empty cache input (no past positions) for a forward pass without one:
 * [batch, heads, 0, head_dim], the heads and head size read from the export.
 */
export function emptyPast(
  input: ValueInfo,
  batch: number,
): ort.Tensor | undefined {
  if (!PAST.test(input.name)) return undefined;
  const [, heads, , headDim] = input.shape ?? [];
  if (typeof heads !== "number" || typeof headDim !== "number")
    throw new Error(
      `the model's input ${input.name} has no fixed head count and head size (shape ${JSON.stringify(input.shape)})`,
    );
  const dims = [batch, heads, 0, headDim];
  // The cache's own element type: a float16 export takes float16 pasts.
  return input.elemType === OnnxElementType.FLOAT16
    ? new ort.Tensor("float16", new Uint16Array(0), dims)
    : new ort.Tensor("float32", new Float32Array(0), dims);
}

/** Rows `keep` of a tensor whose first axis is the batch (a cache or a mask). */
export function keepRows(
  tensor: ort.Tensor,
  keep: readonly number[],
): ort.Tensor {
  const [batch, ...rest] = tensor.dims;
  const size = rest.reduce((a, b) => a * b, 1);
  const data = tensor.data as Float32Array | BigInt64Array;
  if (keep.length === batch) return tensor;
  const out = new (
    data.constructor as Float32ArrayConstructor | BigInt64ArrayConstructor
  )(keep.length * size) as Float32Array | BigInt64Array;
  keep.forEach((r, i) =>
    (out as Float32Array).set(
      (data as Float32Array).subarray(r * size, (r + 1) * size),
      i * size,
    ),
  );
  return new ort.Tensor(tensor.type as "float32", out as Float32Array, [
    keep.length,
    ...rest,
  ]);
}

/** The key/value cache between steps: the past inputs, and the attention mask over their positions. */
export interface KvState {
  past: Map<string, ort.Tensor>;
  mask: ort.Tensor | undefined;
}

/** Keeps rows `keep` of the cache and its mask (the others' graphs have finished). */
export function keepCacheRows(state: KvState, keep: readonly number[]): void {
  state.past = new Map([...state.past].map(([k, v]) => [k, keepRows(v, keep)]));
  state.mask = keepRows(state.mask!, keep);
}

/**
 * A cached step's model inputs for B rows: the past keys and values, the
 * attention mask grown by a column (which becomes the state's mask), and
 * each row's position (`positionOf(r)`: its own count of tokens so far).
 */
export function cacheFeeds(
  state: KvState,
  B: number,
  positionOf: (row: number) => number,
): Map<string, ort.Tensor> {
  const feeds = new Map<string, ort.Tensor>();
  const [, L] = state.mask!.dims as [number, number];
  const grown = new BigInt64Array(B * (L + 1));
  const old = state.mask!.data as BigInt64Array;
  for (let r = 0; r < B; r++) {
    grown.set(old.subarray(r * L, (r + 1) * L), r * (L + 1));
    grown[r * (L + 1) + L] = 1n;
  }
  state.mask = new ort.Tensor("int64", grown, [B, L + 1]);
  feeds.set("attention_mask", state.mask);
  const positions = new BigInt64Array(B);
  for (let r = 0; r < B; r++) positions[r] = BigInt(positionOf(r));
  feeds.set("position_ids", new ort.Tensor("int64", positions, [B, 1]));
  for (const [k, v] of state.past) feeds.set(k, v);
  return feeds;
}
