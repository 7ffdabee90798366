import type { SavedTensor } from "@loupe/graph";
import { decodeFloat16 } from "./decode-float16";

/**
 * A reader of a saved tensor's elements as numbers, by flat row-major index:
 * float32 as stored, float16 decoded from its bits, int64 through `Number` (exact
 * up to 2^53), bool as 0 or 1. Reads one element at a time so that a view of one
 * row of a large logits tensor never converts the whole tensor.
 */
export function readElement(tensor: SavedTensor): (index: number) => number {
  switch (tensor.dtype) {
    case "float16": {
      const data = tensor.data;
      return (i) => decodeFloat16(data[i]!);
    }
    case "int64": {
      const data = tensor.data;
      return (i) => Number(data[i]!);
    }
    case "float32":
    case "int32":
    case "bool": {
      const data = tensor.data;
      return (i) => data[i]!;
    }
  }
}
