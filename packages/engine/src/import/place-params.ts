import type { DType, ModuleSpec } from "@loupe/graph";
import type { ModuleTree } from "../onnx/extract-module-tree.ts";
import type { RawModel } from "../onnx/onnx-bytes.ts";

/** A weight of the file that no module could claim, with where it is used. */
export interface UnplacedParam {
  readonly tensor: string;
  /** The modules whose nodes read it ("" is the model itself). */
  readonly usedBy: readonly string[];
  readonly reason: string;
}

/** Constants torch.export lifts out of forward (`transformer.lifted_tensor_0`): no module attribute. */
const LIFTED_CONSTANT = /^lifted_tensor_\d+$/;
/** A PyTorch attribute name: what a parameter is called on its module. */
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FLOATS = new Set<DType>(["float32", "float16"]);
/** ONNX TensorProto.DataType codes. */
const ONNX_FLOAT = 1;
const ONNX_FLOAT16 = 10;

/**
 * Every parameter reachable from its module, in PyTorch's orientation, the
 * way `module.weight` reads it. Exporters keep most weights' names
 * (`<module path>.<name>`); three cases they do not, each placed here:
 *
 * - **A deduplicated weight.** TorchScript stores equal initial values once
 *   and gives the others as `Identity` nodes named `<module path>.<name>`.
 * - **A weight stored narrower than it is computed**: a float16 initializer
 *   widened by a `Cast(to=FLOAT)` node (models/minilm ships its weights so, to
 *   halve the file). The Cast's output is the weight the graph reads, under
 *   the exported name; the parameter is the initializer, as shipped (float16).
 * - **A Linear weight stored transposed**, under a generated name
 *   (`onnx::MatMul_683`): the only module whose nodes multiply by it owns it
 *   as `weight`, marked `transpose` (the file holds `[in, out]`; PyTorch's
 *   weight is `[out, in]`). So is a Gemm's B without transB.
 * - **An embedding's table** under a generated name: the module whose Gather
 *   indexes it.
 *
 * A floating-point weight that none of these places is returned in
 * `unplaced`, with the modules that use it, for the import report: never
 * attached to the model by default, as a generated name once was.
 */
export function placeParams(
  onnx: RawModel,
  tree: ModuleTree,
  elementTypes: Partial<Record<number, DType>>,
): {
  readonly params: ReadonlyMap<string, ModuleSpec["params"]>;
  readonly unplaced: readonly UnplacedParam[];
} {
  const paths = new Set(tree.modules.map((m) => m.path));
  const params = new Map<string, ModuleSpec["params"][number][]>(
    tree.modules.map((m) => [m.path, []]),
  );
  const placed = new Set<string>();
  const byName = new Map(onnx.initializers.map((t) => [t.name, t]));
  const add = (
    path: string,
    name: string,
    tensor: string,
    transpose = false,
  ): boolean => {
    const list = params.get(path);
    const t = byName.get(tensor);
    const dtype = t && elementTypes[t.dataType];
    if (!list || !t || !dtype || list.some((p) => p.name === name))
      return false;
    const shape = [...t.dims];
    list.push({
      name,
      tensor,
      dtype,
      shape: transpose ? [shape[1]!, shape[0]!] : shape,
      ...(transpose ? { transpose: true } : {}),
    });
    placed.add(tensor);
    return true;
  };
  /** `<module path>.<name>` with the module in the tree, or null. */
  const split = (full: string): { path: string; name: string } | null => {
    const dot = full.lastIndexOf(".");
    const path = dot < 0 ? "" : full.slice(0, dot);
    const name = full.slice(dot + 1);
    return paths.has(path) &&
      ATTRIBUTE.test(name) &&
      !LIFTED_CONSTANT.test(name)
      ? { path, name }
      : null;
  };

  // By name.
  for (const t of onnx.initializers) {
    const at = split(t.name);
    if (at) add(at.path, at.name, t.name);
  }
  // Widened: Cast(to=FLOAT) of a float16 initializer. Each output of one
  // stands for its initializer wherever nodes read it.
  const widening = new Set<number>();
  const widened = new Map<string, string>();
  onnx.nodes.forEach((node, i) => {
    const source = byName.get(node.input[0] ?? "");
    if (
      node.opType === "Cast" &&
      node.ints.to === ONNX_FLOAT &&
      source?.dataType === ONNX_FLOAT16 &&
      node.output[0]
    ) {
      widening.add(i);
      widened.set(node.output[0], source.name);
    }
  });
  const stored = (tensor: string) => widened.get(tensor) ?? tensor;
  // Deduplicated or widened: Identity(<weight>) or a widening Cast named as a
  // module's weight (`transformer.ln_f.bias`; never a bare name such as
  // dynamo's `clone`).
  for (const [i, node] of onnx.nodes.entries()) {
    const source = node.input[0] ?? "";
    if (
      (node.opType !== "Identity" && !widening.has(i)) ||
      !byName.has(source) ||
      LIFTED_CONSTANT.test(source.slice(source.lastIndexOf(".") + 1)) ||
      !(node.output[0] ?? "").includes(".")
    )
      continue;
    const at = split(node.output[0]!);
    if (at) add(at.path, at.name, source);
  }
  // The deepest module each node belongs to.
  const owner = new Map<number, string>();
  for (const m of tree.modules)
    for (const call of m.calls)
      for (const i of call.nodes) {
        const current = owner.get(i);
        if (current === undefined || m.path.length > current.length)
          owner.set(i, m.path);
      }
  // A tied table (dynamo names it once, `lm_head.weight`): also the weight
  // of the embedding whose Gather indexes it, when it is another module's
  // 2-D `weight`.
  const weights = new Set(
    [...params.values()].flatMap((list) =>
      list.filter((p) => p.name === "weight").map((p) => p.tensor),
    ),
  );
  onnx.nodes.forEach((node, i) => {
    const t = byName.get(stored(node.input[0] ?? ""));
    const path = owner.get(i);
    if (
      node.opType === "Gather" &&
      t &&
      path !== undefined &&
      path !== "" &&
      t.dims.length === 2 &&
      weights.has(t.name) &&
      !params.get(path)!.some((p) => p.tensor === t.name)
    )
      add(path, "weight", t.name);
  });
  // Generated names: by the module whose nodes use the weight.
  const uses = new Map<
    string,
    { path: string; op: string; slot: number; transB: number }[]
  >();
  onnx.nodes.forEach((node, i) =>
    node.input.forEach((read, slot) => {
      const input = stored(read);
      if (widening.has(i) || !byName.has(input) || placed.has(input)) return;
      const list = uses.get(input) ?? [];
      list.push({
        path: owner.get(i) ?? "",
        op: node.opType,
        slot,
        transB: node.ints.transB ?? 0,
      });
      uses.set(input, list);
    }),
  );
  const unplaced: UnplacedParam[] = [];
  for (const t of onnx.initializers) {
    if (placed.has(t.name)) continue;
    const dtype = elementTypes[t.dataType];
    if (!dtype || !FLOATS.has(dtype) || t.dims.length === 0) continue;
    const used = uses.get(t.name) ?? [];
    const usedBy = [...new Set(used.map((u) => u.path))];
    const only = used.length === 1 ? used[0]! : undefined;
    let reason: string;
    if (!only)
      reason =
        used.length === 0
          ? "no node reads it"
          : `${used.length} nodes read it${usedBy.length > 1 ? `, in ${usedBy.length} modules` : ""}: which one's parameter it is cannot be told`;
    else if (t.dims.length === 2 && only.op === "MatMul" && only.slot === 1) {
      if (add(only.path, "weight", t.name, true)) continue;
      reason = `module "${only.path}" already has a weight`;
    } else if (t.dims.length === 2 && only.op === "Gemm" && only.slot === 1) {
      if (add(only.path, "weight", t.name, only.transB === 0)) continue;
      reason = `module "${only.path}" already has a weight`;
    } else if (t.dims.length === 2 && only.op === "Gather" && only.slot === 0) {
      if (add(only.path, "weight", t.name)) continue;
      reason = `module "${only.path}" already has a weight`;
    } else
      reason = `read by a ${only.op} (input ${only.slot}), not as a Linear's or an embedding's weight`;
    unplaced.push({ tensor: t.name, usedBy, reason });
  }
  return { params, unplaced };
}
