import type { SourceOp } from "@loupe/graph";
import type { RecoveredCall } from "../onnx/extract-module-tree.ts";
import type { RawModel } from "../onnx/onnx-bytes.ts";
import type { ModuleTensorTypes } from "./probe-module-tensors.ts";

/** An operation, or a tensor inside one, that `.source` cannot reach, with why. */
export interface UnreachableOp {
  readonly path: string;
  readonly call: number;
  /** The source op's name, or the tensor's. */
  readonly name: string;
  readonly reason: string;
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

/**
 * A module call's own operations (`.source`), each named by its operator and
 * how many came before it (`matmul_0`), with the types of its outputs. An
 * operation with an output of a type the graph language does not handle is
 * left out, and a fused one is kept but marked: both are listed in
 * `unreachable` with the reason.
 */
export function readSourceOps(
  onnx: RawModel,
  path: string,
  k: number,
  call: RecoveredCall,
  types: ModuleTensorTypes,
): { readonly ops: SourceOp[]; readonly unreachable: UnreachableOp[] } {
  const counts = new Map<string, number>();
  const unreachable: UnreachableOp[] = [];
  const ops = call.source.flatMap(({ node: index, event }): SourceOp[] => {
    const node = onnx.nodes[index]!;
    const base = node.opType.toLowerCase().replace(/[^a-z0-9]/g, "");
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    const name = `${base}_${n}`;
    const outputs = node.output.filter((t) => t !== "");
    const untyped = outputs.filter((t) => !types.has(t));
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
        outputs: outputs.map((tensor) => ({ tensor, ...types.typeOf(tensor) })),
        ...(fused ? { fused: true } : {}),
      },
    ];
  });
  return { ops, unreachable };
}
