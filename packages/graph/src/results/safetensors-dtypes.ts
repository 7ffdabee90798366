import type { DType } from "../ir/dtype.ts";
import type { SavedTensorArrays } from "./saved-tensor.ts";

interface SafetensorsDType<D extends DType> {
  /** The dtype's name in a safetensors header. */
  readonly code: string;
  readonly bytesPerElement: number;
  /** Where the reference writer puts it: widest first, so every tensor stays aligned. */
  readonly order: number;
  /** The `Symbol.toStringTag` of its array (checked that way so arrays of other realms pass). */
  readonly arrayTag: string;
  /** A view of a copied, aligned buffer. */
  readonly view: (buffer: ArrayBuffer) => SavedTensorArrays[D];
}

/**
 * How each Loupe dtype is stored in safetensors. `order` follows the Rust
 * reference writer (safetensors 0.8, `Dtype`'s declaration order, descending):
 * I64, F32, I32, F16, BOOL.
 */
export const SAFETENSORS_DTYPES: {
  readonly [D in DType]: SafetensorsDType<D>;
} = {
  int64: {
    code: "I64",
    bytesPerElement: 8,
    order: 0,
    arrayTag: "BigInt64Array",
    view: (b) => new BigInt64Array(b),
  },
  float32: {
    code: "F32",
    bytesPerElement: 4,
    order: 1,
    arrayTag: "Float32Array",
    view: (b) => new Float32Array(b),
  },
  int32: {
    code: "I32",
    bytesPerElement: 4,
    order: 2,
    arrayTag: "Int32Array",
    view: (b) => new Int32Array(b),
  },
  float16: {
    code: "F16",
    bytesPerElement: 2,
    order: 3,
    arrayTag: "Uint16Array",
    view: (b) => new Uint16Array(b),
  },
  bool: {
    code: "BOOL",
    bytesPerElement: 1,
    order: 4,
    arrayTag: "Uint8Array",
    view: (b) => new Uint8Array(b),
  },
};

/** The Loupe dtype of a safetensors dtype code, or undefined for one Loupe does not read (BF16, U8 …). */
export function findDTypeOfCode(code: string): DType | undefined {
  return (Object.keys(SAFETENSORS_DTYPES) as DType[]).find(
    (d) => SAFETENSORS_DTYPES[d].code === code,
  );
}

/** Elements of a shape (1 for a scalar), or undefined if a dimension is not a non-negative safe integer or the count overflows. */
export function countElements(shape: readonly unknown[]): number | undefined {
  let count = 1;
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
      return undefined;
    count *= d;
    if (!Number.isSafeInteger(count)) return undefined;
  }
  return count;
}

/** Orders names as Rust's `String` does (by UTF-8 bytes, i.e. by code point), not by UTF-16 units as `Array.sort` does. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Safetensors stores elements little-endian; typed arrays use the host's order. */
export const HOST_IS_LITTLE_ENDIAN =
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
