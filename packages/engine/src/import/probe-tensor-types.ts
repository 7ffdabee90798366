import * as ort from "onnxruntime-node";
import { readRawModel } from "../onnx/onnx-bytes.ts";
import { emptyPast } from "../run/kv-cache.ts";
import type { DType } from "@loupe/graph";
import { appendGraphOutputs } from "../onnx/append-graph-outputs.ts";
import { weightSessionConfig } from "../weights/weight-session-options.ts";

/** A tensor's element type and shape, dimensions symbolic in `batch` and `seq`. */
export interface ProbedType {
  readonly dtype: DType;
  readonly shape: readonly (number | string)[];
}

/** Raised when a probed tensor has a type the graph language does not handle. */
export class UnsupportedTensorError extends Error {
  override readonly name = "UnsupportedTensorError";
  readonly code = "UNSUPPORTED_TENSOR";
}

const DTYPES: Partial<Record<string, DType>> = {
  float32: "float32",
  float16: "float16",
  int64: "int64",
  int32: "int32",
  bool: "bool",
};
/** Two (batch, sequence) sizes, chosen unlike any model width, so a dimension that follows them is one of them. */
const PROBES = [
  { batch: 2, seq: 5 },
  { batch: 3, seq: 7 },
] as const;

/**
 * Finds the element type and symbolic shape of intermediate tensors by running
 * the model twice (batch × sequence 2 × 5 and 3 × 7) with the tensors added as
 * outputs: a dimension equal to the batch in both runs is `batch`, to the
 * sequence `seq`, constant a number, anything else `?`. The TorchScript exporter
 * leaves intermediate shapes out of the file, and this reads them off ONNX
 * Runtime itself rather than re-implementing shape inference.
 */
export async function probeTensorTypes(
  model: Uint8Array,
  names: readonly string[],
  {
    externalDataDir,
    optional,
  }: {
    readonly externalDataDir?: string;
    /**
     * Tensors typed only where the graph language handles their type (a
     * module's inner operations): the others are left out of the result.
     */
    readonly optional?: ReadonlySet<string>;
  } = {},
): Promise<Map<string, ProbedType>> {
  const session = await ort.InferenceSession.create(
    appendGraphOutputs(model, names),
    {
      // "basic" (constant folding, redundant node removal) keeps every named
      // tensor that is a graph output, and lets ORT create sessions it refuses
      // unoptimized (a model.half() export's float16 -> float16 Casts).
      graphOptimizationLevel: "basic",
      // Weights in external files are mapped from them, not copied.
      ...(externalDataDir === undefined
        ? {}
        : { extra: weightSessionConfig(externalDataDir) }),
    },
  );
  try {
    const runs: Record<string, ort.Tensor>[] = [];
    const declared = new Map(
      readRawModel(model).inputs.map((i) => [i.name, i]),
    );
    for (const { batch, seq } of PROBES) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const input of session.inputNames) {
        // A key/value cache's inputs: empty (no past positions).
        const past = emptyPast(declared.get(input)!, batch);
        if (past) {
          feeds[input] = past;
          continue;
        }
        const ids = BigInt64Array.from({ length: batch * seq }, (_, i) =>
          BigInt(input === "attention_mask" ? 1 : (i % 7) + 1),
        );
        feeds[input] = new ort.Tensor("int64", ids, [batch, seq]);
      }
      runs.push(await session.run(feeds, [...names]));
    }
    const types = new Map<string, ProbedType>();
    for (const name of names) {
      const [a, b] = runs.map((r) => r[name]!);
      const dtype = DTYPES[a!.type];
      if (!dtype && optional?.has(name)) continue;
      if (!dtype)
        throw new UnsupportedTensorError(
          `tensor "${name}" has type ${a!.type}, which the graph language does not handle`,
        );
      const shape = a!.dims.map((d, i) => {
        const e = b!.dims[i];
        if (d === e) return d;
        if (d === PROBES[0].batch && e === PROBES[1].batch) return "batch";
        if (d === PROBES[0].seq && e === PROBES[1].seq) return "seq";
        return "?";
      });
      types.set(name, { dtype, shape });
    }
    return types;
  } finally {
    await session.release();
  }
}
