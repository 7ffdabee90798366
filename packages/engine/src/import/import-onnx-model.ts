import { createHash } from "node:crypto";
import {
  canonicalJson,
  manifestSchema,
  type DType,
  type Manifest,
  type ModuleSpec,
} from "@loupe/graph";
import { extractModuleTree } from "../onnx/extract-module-tree.ts";
import { decodeOnnxModel, type OnnxModel } from "../onnx/onnx-proto.ts";
import { ARCHITECTURE_PROFILES } from "./architecture-profiles.ts";
import { probeTensorTypes } from "./probe-tensor-types.ts";
import { assertWeightTypes } from "./assert-weight-types.ts";

/** A manifest imported from an ONNX file, and what could not be placed in it. */
export interface ImportedModel {
  readonly manifest: Manifest;
  /** Modules found in the file but left out, with the reason (never guessed). */
  readonly unresolved: readonly { path: string; reason: string }[];
}

const ELEMENT_TYPES: Partial<Record<number, DType>> = {
  1: "float32",
  6: "int32",
  7: "int64",
  9: "bool",
  10: "float16",
};
const SYMBOLS: Record<string, string> = {
  batch: "batch",
  batch_size: "batch",
  sequence: "seq",
  seq: "seq",
  sequence_length: "seq",
};

/**
 * Imports an unoptimized ONNX export of a PyTorch model, from the TorchScript
 * exporter or the dynamo one (`torch.onnx.export(..., dynamo=True, optimize=False)`):
 * recovers the module tree from node scopes (names or, for dynamo, node
 * metadata), types every module tensor with ONNX Runtime, and writes a manifest
 * of @loupe/graph's schema with the model hash (SHA-256 of the file's bytes and
 * the manifest). A module's output is the tensor its last node produces, which
 * is what its forward returns; other tensors leaving a module are intermediates
 * the exporter shared with later code, not hook points.
 */
export async function importOnnxModel(
  bytes: Uint8Array,
  name: string,
): Promise<ImportedModel> {
  const onnx = decodeOnnxModel(bytes);
  assertWeightTypes(onnx);
  const tree = extractModuleTree(onnx);
  const paths = new Set(tree.modules.map((m) => m.path));
  const profile = ARCHITECTURE_PROFILES.find((p) => p.detect(paths));
  const graphInputs = new Map(onnx.inputs.map((i) => [i.name, i]));
  const lastOutputs = new Map(
    tree.modules.map((m) => [m.path, m.calls.map((c) => c.outputs.at(-1)!)]),
  );
  const probed = [
    ...new Set(
      tree.modules.flatMap((m) =>
        m.calls.flatMap((c, k) => [...c.inputs, lastOutputs.get(m.path)![k]!]),
      ),
    ),
  ].filter((t) => !graphInputs.has(t));
  const types = await probeTensorTypes(bytes, probed);
  const typeOf = (tensor: string) => {
    const input = graphInputs.get(tensor);
    if (input) {
      const dtype = ELEMENT_TYPES[input.elemType];
      if (!dtype)
        throw new Error(
          `model input "${tensor}" has ONNX element type ${input.elemType}, which Loupe does not handle`,
        );
      return {
        dtype,
        shape: input.shape.map((d) =>
          typeof d === "string" ? (SYMBOLS[d] ?? d) : d,
        ),
      };
    }
    const probedType = types.get(tensor)!;
    return { dtype: probedType.dtype, shape: [...probedType.shape] };
  };

  const modules: ModuleSpec[] = tree.modules.map((m) => ({
    path: m.path,
    type: m.path === "" ? (profile?.architecture ?? "Model") : "Module",
    calls: m.calls.map((call, k) => ({
      enter: call.enter,
      exit: call.exit,
      inputs: call.inputs.map((tensor) => ({ tensor, ...typeOf(tensor) })),
      outputs: [
        {
          tensor: lastOutputs.get(m.path)![k]!,
          ...(m.path === "" ? { label: "logits" } : {}),
          ...typeOf(lastOutputs.get(m.path)![k]!),
        },
      ],
      tuple:
        m.path === "" ||
        (profile?.tupleModules.some((r) => r.test(m.path)) ?? false),
    })),
    params: paramsOf(onnx, m.path),
  }));
  const manifest: Manifest = manifestSchema.parse({
    format: "loupe.manifest",
    version: 1,
    model: { name, architecture: profile?.architecture ?? "unknown" },
    modules,
    aliases: profile?.aliases ?? {},
  });
  return {
    manifest: {
      ...manifest,
      model: { ...manifest.model, hash: modelHash(bytes, manifest) },
    },
    unresolved: tree.unresolved,
  };
}

/**
 * The model hash: SHA-256 of the ONNX file's bytes and the canonical manifest
 * (without its own `hash`), so it changes with the weights or the manifest.
 */
export function modelHash(bytes: Uint8Array, manifest: Manifest): string {
  const { hash: _ignored, ...model } = manifest.model;
  return `sha256:${createHash("sha256")
    .update(bytes)
    .update(canonicalJson({ ...manifest, model }))
    .digest("hex")}`;
}

/** Constants torch.export lifts out of forward (`transformer.lifted_tensor_0`): no module attribute. */
const LIFTED_CONSTANT = /^lifted_tensor_\d+$/;

/**
 * Weights named `<module path>.<name>` in the file; exporters keep most names
 * (Llama's transposed ones TorchScript does not; dynamo names a tied weight once,
 * `lm_head.weight`, and keeps buffers such as GPT-2's `attn.bias`).
 */
function paramsOf(onnx: OnnxModel, path: string): ModuleSpec["params"] {
  const prefix = path === "" ? "" : `${path}.`;
  return onnx.initializers
    .filter((t) => {
      const name = t.name.slice(prefix.length);
      return (
        t.name.startsWith(prefix) &&
        !name.includes(".") &&
        !LIFTED_CONSTANT.test(name) &&
        ELEMENT_TYPES[t.dataType]
      );
    })
    .map((t) => ({
      name: t.name.slice(prefix.length),
      tensor: t.name,
      dtype: ELEMENT_TYPES[t.dataType]!,
      shape: t.dims,
    }));
}
