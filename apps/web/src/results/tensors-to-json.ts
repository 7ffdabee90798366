import type { SavedTensor } from "@loupe/graph";
import { decodeFloat16 } from "./decode-float16";

/**
 * A run's saved values as JSON: name → {dtype, shape, data}, data flat in
 * row-major order; int64 as strings (exact), float16 decoded to numbers.
 */
export function tensorsToJson(tensors: Record<string, SavedTensor>): string {
  const out: Record<
    string,
    { dtype: string; shape: readonly number[]; data: unknown[] }
  > = {};
  for (const [name, t] of Object.entries(tensors))
    out[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data:
        t.dtype === "int64"
          ? Array.from(t.data, (v) => v.toString())
          : t.dtype === "bool"
            ? Array.from(t.data, (v) => v !== 0)
            : t.dtype === "float16"
              ? Array.from(t.data, decodeFloat16)
              : Array.from(t.data),
    };
  return JSON.stringify(out);
}
