/** Element types a graph value can have (the subset of ONNX types Loupe handles). */
export const DTYPES = ["float32", "float16", "int64", "int32", "bool"] as const;

/** One element type. */
export type DType = (typeof DTYPES)[number];

const rank: Record<DType, number> = {
  bool: 0,
  int32: 1,
  int64: 2,
  float16: 3,
  float32: 4,
};

/** True for float16 and float32. */
export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float16";
}

/**
 * The result type of an arithmetic operation on two types: bool < int32 < int64
 * < float16 < float32, so mixing integers and floats gives a float (as in
 * PyTorch, where an int64 tensor plus a float32 tensor is float32).
 */
export function promote(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/** Bytes per element. */
export function bytesPerElement(dtype: DType): number {
  return { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1 }[dtype];
}
