import { broadcastShapes, formatShape, type Dim } from "../ir/shape.ts";
import type { InvokeInput } from "../format/graph-schema.ts";
import type { TensorSpec } from "../manifest/manifest-schema.ts";
import type { ValueType } from "./value-type.ts";

/** True if a value of shape `value` broadcasts into `region` without changing it. */
export function fitsInto(
  value: readonly Dim[],
  region: readonly Dim[],
): boolean {
  const b = broadcastShapes(region, value);
  return (
    b !== undefined &&
    b.length === region.length &&
    b.every((d, i) => d === region[i] || typeof region[i] !== "number")
  );
}

/**
 * The manifest's `batch` and `seq` for one invoke: its row count, and its token
 * count when given as tokens; a per-invoke symbol otherwise (always, when the
 * trace generates: the step's length). An invoke without input sees the whole batch.
 */
export function bindSymbols(
  shape: readonly Dim[],
  input: InvokeInput | null,
  trace: number,
  invoke: number,
  generating = false,
): Dim[] {
  if (input === null) return [...shape];
  const rows = input.kind === "text" ? input.prompts.length : input.ids.length;
  const seq: Dim = generating
    ? `seq@t${trace}.i${invoke}.step`
    : input.kind === "tokens"
      ? Math.max(...input.ids.map((r) => r.length))
      : `seq@t${trace}.i${invoke}`;
  return shape.map((d) => (d === "batch" ? rows : d === "seq" ? seq : d));
}

/**
 * The type of `module.call(value)`: the module's input's trailing known
 * dimensions must match the value's; its leading (batch, sequence) dimensions are
 * the value's own, as for a PyTorch Linear or LayerNorm applied to any leading shape.
 */
export function applyModule(
  input: TensorSpec,
  output: TensorSpec,
  value: ValueType,
  report: (m: string) => void,
  module: string,
): ValueType | undefined {
  const trailing = (shape: readonly Dim[]) => {
    let k = shape.length;
    while (k > 0 && typeof shape[k - 1] === "number") k--;
    return shape.slice(k) as number[];
  };
  const tin = trailing(input.shape);
  const tout = trailing(output.shape);
  const tail = value.shape.slice(value.shape.length - tin.length);
  if (
    value.shape.length < tin.length ||
    tail.some((d, i) => typeof d === "number" && d !== tin[i])
  ) {
    report(
      `input 0 has shape ${formatShape(value.shape)}, expected [*,${tin.join(",")}] for ${module}`,
    );
    return undefined;
  }
  return {
    dtype: output.dtype,
    shape: [...value.shape.slice(0, value.shape.length - tin.length), ...tout],
  };
}
