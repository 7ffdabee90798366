import type { DType } from "../ir/dtype.ts";
import { formatShape, type Dim } from "../ir/shape.ts";

/** What validation knows of a value: its element type and (possibly symbolic) shape. */
export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /** A 0-d constant written as a plain number: it does not widen a tensor's type (as in PyTorch). */
  readonly weakScalar?: boolean;
}

/** "float32[batch,seq,768]" */
export function formatType(t: ValueType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}
