import type { DType } from "../ir/dtype.ts";

/**
 * ONNX's tensor element types (TensorProto.DataType in onnx.proto), by name:
 * every package that reads or writes ONNX or ONNX Runtime tensors uses these
 * instead of the bare numbers.
 */
export const OnnxElementType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

/** One ONNX element type's number. */
export type OnnxElementType =
  (typeof OnnxElementType)[keyof typeof OnnxElementType];

const TO_DTYPE: Readonly<Partial<Record<number, DType>>> = {
  [OnnxElementType.FLOAT]: "float32",
  [OnnxElementType.FLOAT16]: "float16",
  [OnnxElementType.INT64]: "int64",
  [OnnxElementType.INT32]: "int32",
  [OnnxElementType.BOOL]: "bool",
};

const FROM_DTYPE: Readonly<Record<DType, OnnxElementType>> = {
  float32: OnnxElementType.FLOAT,
  float16: OnnxElementType.FLOAT16,
  int64: OnnxElementType.INT64,
  int32: OnnxElementType.INT32,
  bool: OnnxElementType.BOOL,
};

/** The graph element type of an ONNX one, or null for a type graphs do not carry. */
export const dtypeOfOnnx = (type: number): DType | null =>
  TO_DTYPE[type] ?? null;

/** The ONNX element type of a graph one. */
export const onnxOfDtype = (dtype: DType): OnnxElementType => FROM_DTYPE[dtype];

/** An ONNX element type's name (`FLOAT16`), or `type N` for one not listed. */
export function onnxElementTypeName(type: number): string {
  for (const [name, value] of Object.entries(OnnxElementType))
    if (value === type) return name;
  return `type ${type}`;
}
