import {
  manifestSchema,
  type DType,
  type Manifest,
  type ModuleSpec,
} from "@loupe/graph";
import { extractModuleTree } from "../onnx/extract-module-tree.ts";
import { decodeOnnxModel, OnnxDecodeError } from "../onnx/onnx-bytes.ts";
import { externalDataFiles } from "../weights/external-data-files.ts";
import { modelHash } from "./model-hash.ts";
import { ARCHITECTURE_PROFILES } from "./architecture-profiles.ts";
import { probeTensorTypes } from "./probe-tensor-types.ts";
import { placeParams, type UnplacedParam } from "./place-params.ts";
import { decideTuples, type TupleAssumption } from "./decide-tuples.ts";
import { assertWeightTypes } from "./assert-weight-types.ts";

/** A manifest imported from an ONNX file, and what could not be placed in it. */
export interface ImportedModel {
  readonly manifest: Manifest;
  /** Modules found in the file but left out, with the reason (never guessed). */
  readonly unresolved: readonly { path: string; reason: string }[];
  /** Weights of the file no module could claim, with the modules that read them. */
  readonly unplacedParams: readonly UnplacedParam[];
  /** Which modules return tuples where the export could not tell (see decideTuples). */
  readonly assumptions: readonly TupleAssumption[];
}

/** Where an export's external data files are. */
export interface ImportOptions {
  /**
   * The folder the export's external data locations are relative to (its
   * .onnx file's folder); required when weights live in external files.
   */
  readonly externalDataDir?: string;
  /**
   * Whether modules return tuples, by path pattern (`transformer.h.*`:
   * false), over what the importer would assume (see decideTuples).
   */
  readonly tuple?: Readonly<Record<string, boolean>>;
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
 * the manifest, external data included). A module's output is the tensor its last node produces, which
 * is what its forward returns; other tensors leaving a module are intermediates
 * the exporter shared with later code, not hook points.
 */
export async function importOnnxModel(
  bytes: Uint8Array,
  name: string,
  options: ImportOptions = {},
): Promise<ImportedModel> {
  const onnx = decodeOnnxModel(bytes);
  assertWeightTypes(onnx);
  const external = externalDataFiles(onnx);
  if (external.length > 0 && options.externalDataDir === undefined)
    throw new OnnxDecodeError(
      `the model keeps weights in the external file ${external[0]}; give the folder it is in (import it from its path)`,
    );
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
  const types = await probeTensorTypes(bytes, probed, options);
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
        shape: (input.shape ?? []).map((d) =>
          // A dimension the file leaves unset reads as 0, as ONNX's default.
          typeof d === "string" ? (SYMBOLS[d] ?? d) : (d ?? 0),
        ),
      };
    }
    const probedType = types.get(tensor)!;
    return { dtype: probedType.dtype, shape: [...probedType.shape] };
  };

  const placement = placeParams(onnx, tree, ELEMENT_TYPES);
  const tuples = decideTuples(
    tree,
    onnx.outputs.map((o) => o.name),
    profile,
    options.tuple,
  );
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
      tuple: tuples.tuple.get(m.path) ?? false,
    })),
    params: [...(placement.params.get(m.path) ?? [])],
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
      model: {
        ...manifest.model,
        hash: await modelHash(bytes, manifest, options.externalDataDir),
      },
    },
    unresolved: tree.unresolved,
    unplacedParams: placement.unplaced,
    assumptions: tuples.assumptions,
  };
}
