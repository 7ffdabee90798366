import { OnnxElementType } from "@loupe/graph";
import { UnsupportedTensorError } from "./probe-tensor-types.ts";

/** ONNX TensorProto.DataType codes of weights Loupe refuses, with their names. */
const REFUSED: Partial<Record<number, string>> = {
  [OnnxElementType.BFLOAT16]: "bfloat16",
};

/** How many weights one error names before it counts the rest. */
const NAMED = 3;

/**
 * Refuses a model with weights of a type Loupe does not run, naming the
 * weights and the type, before anything else reads the file. bfloat16 weights
 * are refused rather than widened: Loupe's tensors are float32, float16,
 * int64, int32 and bool, ONNX Runtime's CPU provider has few bfloat16
 * kernels, and a bfloat16 export's activations would be bfloat16 too.
 *
 * @example
 * assertWeightTypes(decodeOnnxModel(bytes)); // throws UnsupportedTensorError
 */
export function assertWeightTypes(model: {
  readonly initializers: readonly {
    readonly name: string;
    readonly dataType: number;
  }[];
}): void {
  const refused = model.initializers.filter(
    (t) => REFUSED[t.dataType] !== undefined,
  );
  const first = refused[0];
  if (!first) return;
  const type = REFUSED[first.dataType]!;
  const same = refused.filter((t) => t.dataType === first.dataType);
  const names = same.slice(0, NAMED).map((t) => `"${t.name}"`);
  const which =
    same.length === 1
      ? `weight ${names[0]} has`
      : `weights ${names.join(", ")}${same.length > NAMED ? ` and ${same.length - NAMED} more` : ""} have`;
  throw new UnsupportedTensorError(
    `${which} ONNX element type ${first.dataType} (${type}), which Loupe does not run: export the model in float32 or float16 (model.float() or model.half() before torch.onnx.export)`,
  );
}
