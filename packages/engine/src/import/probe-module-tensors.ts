import { dtypeOfOnnx, type DType } from "@loupe/graph";
import type { ModuleTree, RecoveredCall } from "../onnx/extract-module-tree.ts";
import type { RawModel, ValueInfo } from "../onnx/onnx-bytes.ts";
import { probeTensorTypes } from "./probe-tensor-types.ts";

/** A tensor's element type and shape, as a manifest records it. */
export interface ManifestTensorType {
  readonly dtype: DType;
  readonly shape: (number | string)[];
}

/** The types of the tensors a manifest names, read before it is written. */
export interface ModuleTensorTypes {
  /** The type of a graph input, a module call's boundary tensor or a typed inner one. */
  typeOf(tensor: string): ManifestTensorType;
  /** Whether `tensor` has a type the graph language handles (inner tensors may not). */
  has(tensor: string): boolean;
}

/** Names of symbolic dimensions exporters use, in the graph language's words. */
const SYMBOLS: Record<string, string> = {
  batch: "batch",
  batch_size: "batch",
  sequence: "seq",
  seq: "seq",
  sequence_length: "seq",
};

/**
 * The tensor a module call returns: the one its last node produces, which
 * is what its forward returns. Other tensors leaving a module are
 * intermediates the exporter shared with later code, not hook points.
 */
export const callResult = (call: RecoveredCall): string => call.outputs.at(-1)!;

/**
 * Types every tensor of the module tree a manifest names: graph inputs from
 * their declarations in the file, every other module input and result, and
 * each call's own operations' outputs (`.source`), with one ONNX Runtime
 * probe (see probeTensorTypes). Inner tensors of a type the graph language
 * does not handle are left untyped rather than refused.
 */
export async function probeModuleTensors(
  bytes: Uint8Array,
  onnx: RawModel,
  tree: ModuleTree,
  externalDataDir: string | undefined,
): Promise<ModuleTensorTypes> {
  const graphInputs = new Map(onnx.inputs.map((i) => [i.name, i]));
  const boundary = new Set(
    tree.modules
      .flatMap((m) => m.calls.flatMap((c) => [...c.inputs, callResult(c)]))
      .filter((t) => !graphInputs.has(t)),
  );
  const inner = tree.modules.flatMap((m) =>
    m.calls.flatMap((c) =>
      c.source.flatMap(({ node }) =>
        onnx.nodes[node]!.output.filter((t) => t !== ""),
      ),
    ),
  );
  const optional = new Set(
    inner.filter((t) => !boundary.has(t) && !graphInputs.has(t)),
  );
  const types = await probeTensorTypes(bytes, [...boundary, ...optional], {
    ...(externalDataDir === undefined ? {} : { externalDataDir }),
    optional,
  });
  return {
    typeOf: (tensor) => {
      const input = graphInputs.get(tensor);
      if (input) return graphInputType(tensor, input);
      const probed = types.get(tensor)!;
      return { dtype: probed.dtype, shape: [...probed.shape] };
    },
    has: (tensor) => graphInputs.has(tensor) || types.has(tensor),
  };
}

/** A graph input's type, from its declaration in the file. */
function graphInputType(tensor: string, input: ValueInfo): ManifestTensorType {
  const dtype = dtypeOfOnnx(input.elemType);
  if (!dtype)
    throw new Error(
      `model input "${tensor}" has ONNX element type ${input.elemType}, which Loupe does not handle`,
    );
  return {
    dtype,
    shape: (input.shape ?? []).map((d) =>
      // A dimension the file leaves unset reads as 0, as ONNX's default.
      typeof d === "string" ? (SYMBOLS[d] ?? d) : (d ?? 0),
    ),
  };
}
