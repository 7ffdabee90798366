import type { DType } from "@loupe/graph";

/** ONNX TensorProto.DataType codes of the dtypes Loupe's graphs use. */
export const ONNX_TYPE: Record<DType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};

const FROM_ONNX: Partial<Record<number, DType>> = {
  1: "float32",
  6: "int32",
  7: "int64",
  9: "bool",
  10: "float16",
};

/** The Loupe dtype of an ONNX element type, or undefined for one Loupe does not handle. */
export function dtypeOfOnnx(code: number): DType | undefined {
  return FROM_ONNX[code];
}

/** ONNX Runtime's name for a dtype, as `new ort.Tensor(type, ...)` takes it. */
export const ORT_TYPE: Record<
  DType,
  "float32" | "int32" | "int64" | "bool" | "float16"
> = {
  float32: "float32",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  float16: "float16",
};

const BOOL_OPS = new Set([
  "Equal",
  "Greater",
  "Less",
  "GreaterOrEqual",
  "LessOrEqual",
  "Not",
  "And",
  "Or",
  "Xor",
  "IsNaN",
  "IsInf",
]);
const INT64_OPS = new Set(["Shape", "Size", "ArgMax", "ArgMin", "NonZero"]);

/**
 * The element type of each output of an ONNX node, from its inputs' types and
 * attributes. TorchScript exports carry no value_info for intermediate tensors,
 * and a model piece needs its inputs typed; this covers the operators exporters
 * emit (most keep their first input's type). Unknown cases return undefined and
 * the caller reports them.
 */
export function inferOutputTypes(
  node: {
    readonly opType: string;
    readonly input: readonly string[];
    readonly output: readonly string[];
    readonly ints: Readonly<Record<string, number>>;
    readonly tensorTypes: Readonly<Record<string, number>>;
  },
  typeOf: (tensor: string) => number | undefined,
): (number | undefined)[] {
  const first = node.input[0] ? typeOf(node.input[0]) : undefined;
  const one = (t: number | undefined) => node.output.map(() => t);
  switch (node.opType) {
    case "Constant":
      return one(
        node.tensorTypes.value ??
          ("value_int" in node.ints || "value_ints" in node.ints ? 7 : 1),
      );
    case "ConstantOfShape":
      return one(node.tensorTypes.value ?? 1);
    case "Cast":
      return one(node.ints.to);
    case "CastLike":
      return one(node.input[1] ? typeOf(node.input[1]) : undefined);
    case "Where":
      return one(node.input[1] ? typeOf(node.input[1]) : undefined);
    case "TopK":
      return [first, 7];
    case "EyeLike":
    case "RandomNormalLike":
    case "RandomUniformLike":
      return one(node.ints.dtype ?? first);
    default:
      if (BOOL_OPS.has(node.opType)) return one(9);
      if (INT64_OPS.has(node.opType)) return one(7);
      return one(first);
  }
}
