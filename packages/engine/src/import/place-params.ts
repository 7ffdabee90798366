import {
  dtypeOfOnnx,
  OnnxElementType,
  type DType,
  type ModuleSpec,
} from "@loupe/graph";
import type { ModuleTree } from "../onnx/extract-module-tree.ts";
import type { RawInitializer, RawModel } from "../onnx/onnx-bytes.ts";

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
): {
  readonly params: ReadonlyMap<string, ModuleSpec["params"]>;
  readonly unplaced: readonly UnplacedParam[];
} {
  const placement = new Placement(onnx, tree);
  for (const t of onnx.initializers) {
    const at = placement.locate(t.name);
    if (at) placement.add(at.path, at.name, t.name);
  }
  const widenings = findWidenings(onnx, placement.byName);
  placeAliases(onnx, placement, widenings);
  const owners = nodeOwners(tree);
  placeTiedTables(onnx, placement, owners, widenings);
  const uses = weightUses(onnx, placement, owners, widenings);
  const unplaced = placeByUse(onnx, placement, uses);
  return { params: placement.params, unplaced };
}

/** The parameters placed so far, by module path, and the tensors they claim. */
class Placement {
  readonly params: Map<string, ModuleSpec["params"][number][]>;
  readonly placed = new Set<string>();
  readonly byName: ReadonlyMap<string, RawInitializer>;
  readonly #paths: ReadonlySet<string>;

  constructor(onnx: RawModel, tree: ModuleTree) {
    this.#paths = new Set(tree.modules.map((m) => m.path));
    this.params = new Map(tree.modules.map((m) => [m.path, []]));
    this.byName = new Map(onnx.initializers.map((t) => [t.name, t]));
  }

  /**
   * Makes initializer `tensor` module `path`'s parameter `name`; false where
   * the module is not in the tree, the tensor is no initializer of a type
   * graphs carry, or the module already has a parameter of that name.
   */
  add(path: string, name: string, tensor: string, transpose = false): boolean {
    const list = this.params.get(path);
    const t = this.byName.get(tensor);
    const dtype = t && dtypeOfOnnx(t.dataType);
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
    this.placed.add(tensor);
    return true;
  }

  /** `<module path>.<name>` with the module in the tree, or null. */
  locate(full: string): { path: string; name: string } | null {
    const dot = full.lastIndexOf(".");
    const path = dot < 0 ? "" : full.slice(0, dot);
    const name = full.slice(dot + 1);
    return this.#paths.has(path) &&
      ATTRIBUTE.test(name) &&
      !LIFTED_CONSTANT.test(name)
      ? { path, name }
      : null;
  }
}

/** The widening Casts of a model, and the initializer each one's output stands for. */
interface Widenings {
  /** Indexes of the Cast nodes. */
  readonly nodes: ReadonlySet<number>;
  /** The initializer a tensor stands for: itself, or the one a Cast widened. */
  stored(tensor: string): string;
}

/**
 * Cast(to=FLOAT) nodes of a float16 initializer: each output of one stands
 * for its initializer wherever nodes read it.
 */
function findWidenings(
  onnx: RawModel,
  byName: ReadonlyMap<string, RawInitializer>,
): Widenings {
  const nodes = new Set<number>();
  const widened = new Map<string, string>();
  onnx.nodes.forEach((node, i) => {
    const source = byName.get(node.input[0] ?? "");
    if (
      node.opType === "Cast" &&
      node.ints.to === OnnxElementType.FLOAT &&
      source?.dataType === OnnxElementType.FLOAT16 &&
      node.output[0]
    ) {
      nodes.add(i);
      widened.set(node.output[0], source.name);
    }
  });
  return { nodes, stored: (tensor) => widened.get(tensor) ?? tensor };
}

/**
 * Deduplicated or widened weights: Identity(<weight>) or a widening Cast
 * named as a module's weight (`transformer.ln_f.bias`; never a bare name such
 * as dynamo's `clone`).
 */
function placeAliases(
  onnx: RawModel,
  placement: Placement,
  widenings: Widenings,
): void {
  for (const [i, node] of onnx.nodes.entries()) {
    const source = node.input[0] ?? "";
    if (
      (node.opType !== "Identity" && !widenings.nodes.has(i)) ||
      !placement.byName.has(source) ||
      LIFTED_CONSTANT.test(source.slice(source.lastIndexOf(".") + 1)) ||
      !(node.output[0] ?? "").includes(".")
    )
      continue;
    const at = placement.locate(node.output[0]!);
    if (at) placement.add(at.path, at.name, source);
  }
}

/** The deepest module each node belongs to, by node index. */
function nodeOwners(tree: ModuleTree): Map<number, string> {
  const owner = new Map<number, string>();
  for (const m of tree.modules)
    for (const call of m.calls)
      for (const i of call.nodes) {
        const current = owner.get(i);
        if (current === undefined || m.path.length > current.length)
          owner.set(i, m.path);
      }
  return owner;
}

/**
 * A tied table (dynamo names it once, `lm_head.weight`): also the weight of
 * the embedding whose Gather indexes it, when it is another module's 2-D
 * `weight`.
 */
function placeTiedTables(
  onnx: RawModel,
  placement: Placement,
  owners: ReadonlyMap<number, string>,
  widenings: Widenings,
): void {
  const weights = new Set(
    [...placement.params.values()].flatMap((list) =>
      list.filter((p) => p.name === "weight").map((p) => p.tensor),
    ),
  );
  onnx.nodes.forEach((node, i) => {
    const t = placement.byName.get(widenings.stored(node.input[0] ?? ""));
    const path = owners.get(i);
    if (
      node.opType === "Gather" &&
      t &&
      path !== undefined &&
      path !== "" &&
      t.dims.length === 2 &&
      weights.has(t.name) &&
      !placement.params.get(path)!.some((p) => p.tensor === t.name)
    )
      placement.add(path, "weight", t.name);
  });
}

/** A node's read of an initializer: its module, operator and input slot. */
interface WeightUse {
  readonly path: string;
  readonly op: string;
  readonly slot: number;
  readonly transB: number;
}

/** The reads of each initializer not placed yet, through widening Casts. */
function weightUses(
  onnx: RawModel,
  placement: Placement,
  owners: ReadonlyMap<number, string>,
  widenings: Widenings,
): Map<string, WeightUse[]> {
  const uses = new Map<string, WeightUse[]>();
  onnx.nodes.forEach((node, i) =>
    node.input.forEach((read, slot) => {
      const input = widenings.stored(read);
      if (
        widenings.nodes.has(i) ||
        !placement.byName.has(input) ||
        placement.placed.has(input)
      )
        return;
      const list = uses.get(input) ?? [];
      list.push({
        path: owners.get(i) ?? "",
        op: node.opType,
        slot,
        transB: node.ints.transB ?? 0,
      });
      uses.set(input, list);
    }),
  );
  return uses;
}

/**
 * Generated names: each floating-point weight still unplaced goes to the
 * module whose one node reads it as a Linear's or an embedding's weight;
 * the others are returned with the reason.
 */
function placeByUse(
  onnx: RawModel,
  placement: Placement,
  uses: ReadonlyMap<string, readonly WeightUse[]>,
): UnplacedParam[] {
  const unplaced: UnplacedParam[] = [];
  for (const t of onnx.initializers) {
    if (placement.placed.has(t.name)) continue;
    const dtype = dtypeOfOnnx(t.dataType);
    if (!dtype || !FLOATS.has(dtype) || t.dims.length === 0) continue;
    const used = uses.get(t.name) ?? [];
    const usedBy = [...new Set(used.map((u) => u.path))];
    const reason =
      used.length === 1
        ? placeBySoleUse(placement, t, used[0]!)
        : used.length === 0
          ? "no node reads it"
          : `${used.length} nodes read it${usedBy.length > 1 ? `, in ${usedBy.length} modules` : ""}: which one's parameter it is cannot be told`;
    if (reason !== undefined) unplaced.push({ tensor: t.name, usedBy, reason });
  }
  return unplaced;
}

/**
 * Places a weight its one reader uses as a module's `weight`: a MatMul's B
 * (stored transposed), a Gemm's B (transposed unless transB) or a Gather's
 * table. Returns why it was not placed, or undefined once it is.
 */
function placeBySoleUse(
  placement: Placement,
  t: RawInitializer,
  use: WeightUse,
): string | undefined {
  const transpose =
    t.dims.length !== 2
      ? undefined
      : use.op === "MatMul" && use.slot === 1
        ? true
        : use.op === "Gemm" && use.slot === 1
          ? use.transB === 0
          : use.op === "Gather" && use.slot === 0
            ? false
            : undefined;
  if (transpose === undefined)
    return `read by a ${use.op} (input ${use.slot}), not as a Linear's or an embedding's weight`;
  return placement.add(use.path, "weight", t.name, transpose)
    ? undefined
    : `module "${use.path}" already has a weight`;
}
