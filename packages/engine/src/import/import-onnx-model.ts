import {
  manifestSchema,
  type DType,
  type Manifest,
  type ModuleSpec,
  type SourceOp,
} from "@loupe/graph";
import {
  extractModuleTree,
  type RecoveredCall,
} from "../onnx/extract-module-tree.ts";
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
  /**
   * What `.source` cannot reach: fused operators (their inner tensors, such as
   * an attention pattern, stay inside ONNX Runtime's kernel) and inner
   * tensors of a type the graph language does not handle.
   */
  readonly unreachable: readonly {
    path: string;
    call: number;
    /** The source op's name, or the tensor's. */
    name: string;
    reason: string;
  }[];
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
  // A module call's own operations (`.source`), typed by the same probe.
  const inner = tree.modules.flatMap((m) =>
    m.calls.flatMap((c) =>
      c.source.flatMap(({ node }) =>
        onnx.nodes[node]!.output.filter((t) => t !== ""),
      ),
    ),
  );
  const boundary = new Set(probed);
  const optional = new Set(
    inner.filter((t) => !boundary.has(t) && !graphInputs.has(t)),
  );
  const types = await probeTensorTypes(bytes, [...boundary, ...optional], {
    ...(options.externalDataDir === undefined
      ? {}
      : { externalDataDir: options.externalDataDir }),
    optional,
  });
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
  const unreachable: ImportedModel["unreachable"][number][] = [];
  const sourceOf = (path: string, k: number, call: RecoveredCall) => {
    const counts = new Map<string, number>();
    return call.source.flatMap(({ node: index, event }): SourceOp[] => {
      const node = onnx.nodes[index]!;
      const base = node.opType.toLowerCase().replace(/[^a-z0-9]/g, "");
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      const name = `${base}_${n}`;
      const outputs = node.output.filter((t) => t !== "");
      const untyped = outputs.filter(
        (t) => !graphInputs.has(t) && !types.has(t),
      );
      if (untyped.length > 0) {
        unreachable.push({
          path,
          call: k,
          name,
          reason: `its output ${untyped[0]} has a type the graph language does not handle`,
        });
        return [];
      }
      const fused = isFused(node.opType, node.domain);
      if (fused)
        unreachable.push({
          path,
          call: k,
          name,
          reason: `${node.opType} is a fused operator: the tensors it computes inside (an attention pattern) stay inside ONNX Runtime's kernel`,
        });
      return [
        {
          name,
          op:
            node.domain && node.domain !== "ai.onnx"
              ? `${node.domain}.${node.opType}`
              : node.opType,
          ...(node.name ? { node: node.name } : {}),
          event,
          outputs: outputs.map((tensor) => ({ tensor, ...typeOf(tensor) })),
          ...(fused ? { fused: true } : {}),
        },
      ];
    });
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
          ...(m.path === ""
            ? { label: rootLabel(lastOutputs.get(m.path)![k]!) }
            : {}),
          ...typeOf(lastOutputs.get(m.path)![k]!),
        },
      ],
      tuple: tuples.tuple.get(m.path) ?? false,
      source: sourceOf(m.path, k, call),
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
    unreachable,
  };
}

/**
 * The model output's label: `last_hidden_state` for an encoder exported
 * without a head (its output's name says so), else `logits`.
 */
function rootLabel(tensor: string): string {
  return tensor === "last_hidden_state" ? "last_hidden_state" : "logits";
}

/**
 * Operators that compute a whole attention (or another fused block) in one
 * kernel: ONNX's `Attention` (opset 23) and ONNX Runtime's contrib kernels.
 */
const FUSED_OPS = new Set([
  "Attention",
  "MultiHeadAttention",
  "GroupQueryAttention",
  "PackedAttention",
  "PackedMultiHeadAttention",
  "SparseAttention",
  "DecoderMaskedMultiHeadAttention",
]);

function isFused(opType: string, domain: string): boolean {
  return FUSED_OPS.has(opType) || domain === "com.microsoft";
}
