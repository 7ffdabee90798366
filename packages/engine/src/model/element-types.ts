import { OnnxElementType } from "@loupe/graph";

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
          ("value_int" in node.ints || "value_ints" in node.ints
            ? OnnxElementType.INT64
            : OnnxElementType.FLOAT),
      );
    case "ConstantOfShape":
      return one(node.tensorTypes.value ?? OnnxElementType.FLOAT);
    case "Cast":
      return one(node.ints.to);
    case "CastLike":
      return one(node.input[1] ? typeOf(node.input[1]) : undefined);
    case "Where":
      return one(node.input[1] ? typeOf(node.input[1]) : undefined);
    case "TopK":
      return [first, OnnxElementType.INT64];
    case "EyeLike":
    case "RandomNormalLike":
    case "RandomUniformLike":
      return one(node.ints.dtype ?? first);
    default:
      if (BOOL_OPS.has(node.opType)) return one(OnnxElementType.BOOL);
      if (INT64_OPS.has(node.opType)) return one(OnnxElementType.INT64);
      return one(first);
  }
}
