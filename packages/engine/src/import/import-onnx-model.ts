import { manifestSchema, type Manifest, type ModuleSpec } from "@loupe/graph";
import {
  extractModuleTree,
  type RecoveredModule,
} from "../onnx/extract-module-tree.ts";
import {
  decodeOnnxModel,
  OnnxDecodeError,
  type RawModel,
} from "../onnx/onnx-bytes.ts";
import { externalDataFiles } from "../weights/external-data-files.ts";
import { modelHash } from "./model-hash.ts";
import {
  ARCHITECTURE_PROFILES,
  type ArchitectureProfile,
} from "./architecture-profiles.ts";
import {
  callResult,
  probeModuleTensors,
  type ModuleTensorTypes,
} from "./probe-module-tensors.ts";
import { readSourceOps, type UnreachableOp } from "./read-source-ops.ts";
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
  /**
   * What `.source` cannot reach: fused operators (their inner tensors, such as
   * an attention pattern, stay inside ONNX Runtime's kernel) and inner
   * tensors of a type the graph language does not handle.
   */
  readonly unreachable: readonly UnreachableOp[];
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

/**
 * Imports an unoptimized ONNX export of a PyTorch model, from the TorchScript
 * exporter or the dynamo one (`torch.onnx.export(..., dynamo=True, optimize=False)`):
 * recovers the module tree from node scopes (names or, for dynamo, node
 * metadata), types every module tensor with ONNX Runtime, and writes a manifest
 * of @loupe/graph's schema with the model hash (SHA-256 of the file's bytes and
 * the manifest, external data included). A module's output is the tensor its
 * last node produces (see callResult).
 *
 * @example
 * const { manifest, unresolved } = await importOnnxModel(bytes, "gpt2");
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
  const types = await probeModuleTensors(
    bytes,
    onnx,
    tree,
    options.externalDataDir,
  );
  const placement = placeParams(onnx, tree);
  const tuples = decideTuples(
    tree,
    onnx.outputs.map((o) => o.name),
    profile,
    options.tuple,
  );
  const unreachable: UnreachableOp[] = [];
  const modules: ModuleSpec[] = tree.modules.map((m) => ({
    path: m.path,
    type: m.path === "" ? (profile?.architecture ?? "Model") : "Module",
    calls: m.calls.map((_, k) => {
      const spec = callSpec(onnx, m, k, types, tuples.tuple);
      unreachable.push(...spec.unreachable);
      return spec.call;
    }),
    params: [...(placement.params.get(m.path) ?? [])],
  }));
  return {
    manifest: await writeManifest(bytes, name, profile, modules, options),
    unresolved: tree.unresolved,
    unplacedParams: placement.unplaced,
    assumptions: tuples.assumptions,
    unreachable,
  };
}

/** Call `k` of module `m` as the manifest records it, and what of its `.source` is unreachable. */
function callSpec(
  onnx: RawModel,
  m: RecoveredModule,
  k: number,
  types: ModuleTensorTypes,
  tuple: ReadonlyMap<string, boolean>,
): { call: ModuleSpec["calls"][number]; unreachable: UnreachableOp[] } {
  const call = m.calls[k]!;
  const result = callResult(call);
  const inputs = call.inputs.map((tensor) => ({
    tensor,
    ...types.typeOf(tensor),
  }));
  const output = {
    tensor: result,
    ...(m.path === "" ? { label: rootLabel(result) } : {}),
    ...types.typeOf(result),
  };
  const source = readSourceOps(onnx, m.path, k, call, types);
  return {
    call: {
      enter: call.enter,
      exit: call.exit,
      inputs,
      outputs: [output],
      tuple: tuple.get(m.path) ?? false,
      source: source.ops,
    },
    unreachable: source.unreachable,
  };
}

/** The manifest of the modules, checked against @loupe/graph's schema, with the model hash. */
async function writeManifest(
  bytes: Uint8Array,
  name: string,
  profile: ArchitectureProfile | undefined,
  modules: ModuleSpec[],
  options: ImportOptions,
): Promise<Manifest> {
  const manifest: Manifest = manifestSchema.parse({
    format: "loupe.manifest",
    version: 1,
    model: { name, architecture: profile?.architecture ?? "unknown" },
    modules,
    aliases: profile?.aliases ?? {},
  });
  return {
    ...manifest,
    model: {
      ...manifest.model,
      hash: await modelHash(bytes, manifest, options.externalDataDir),
    },
  };
}

/**
 * The model output's label: `last_hidden_state` for an encoder exported
 * without a head (its output's name says so), else `logits`.
 */
function rootLabel(tensor: string): string {
  return tensor === "last_hidden_state" ? "last_hidden_state" : "logits";
}
