import type { DType } from "../ir/dtype.ts";

/** The typed array that holds a saved tensor's elements, per dtype. */
export interface SavedTensorArrays {
  float32: Float32Array;
  /** IEEE 754 half floats as their raw 16-bit patterns (JavaScript has no float16 array everywhere yet). */
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  /** One byte per element, 0 or 1. */
  bool: Uint8Array;
}

/**
 * A tensor a run saved, as a flat typed array in row-major order with its shape.
 * The dtype decides the array's class (float16 as raw bits, bool as bytes), so a
 * check of `dtype` narrows `data`. A scalar has shape `[]` and one element.
 *
 * @example
 * const t: SavedTensor = { dtype: "float32", shape: [2, 2], data: new Float32Array(4) };
 */
export type SavedTensor = {
  [D in DType]: {
    readonly dtype: D;
    readonly shape: readonly number[];
    readonly data: SavedTensorArrays[D];
  };
}[DType];
