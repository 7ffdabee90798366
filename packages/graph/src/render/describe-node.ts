import type { GraphNode } from "../format/graph-schema.ts";
import { formatIndex } from "../ir/index-spec.ts";
import { formatShape } from "../ir/shape.ts";
import { decodeElements } from "../trace/encode-constant.ts";
import { describeSite, type HookSite } from "../manifest/hook-site.ts";

const PREVIEW = 6;

/** How a module tensor reads: `layers.5.output[0]`, `model.output`, `mlp.calls[1].input`. */
function target(n: HookSite): string {
  return `${describeSite(n)}${n.item === null || (n.slot === "input" && n.item === 0) ? "" : `[${n.item}]`}`;
}

/**
 * One node as a line of readable, Python-like text, naming args by id (or by
 * `name(id)` through `label`): `n4 = lm_head(n3)`, `layers.5.output[0][:, 5, :] = n1`.
 */
export function describeNode(
  node: GraphNode,
  label: (id: string) => string = (id) => id,
): string {
  const [a, b, c] = node.args.map(label);
  switch (node.op) {
    case "read":
      return `${node.id} = ${target(node)}`;
    case "write":
      return `${target(node)}${node.index === null ? "" : formatIndex(node.index)} = ${a}`;
    case "grad":
      return `${node.id} = ${target(node)}.grad`;
    case "write_grad":
      return `${target(node)}.grad${node.index === null ? "" : formatIndex(node.index)} = ${a}`;
    case "backward":
      return `${a}.backward()`;
    case "param":
      return `${node.id} = ${node.module}.param("${node.name}")`;
    case "call_module":
      return `${node.id} = ${node.module || "model"}(${a})`;
    case "skip":
      return `skip ${node.module}${node.call > 0 ? `.calls[${node.call}]` : ""}, output = ${a}`;
    case "cache":
      return `cache ${node.modules.join(", ")}`;
    case "stop":
      return "stop";
    case "save":
      return `save ${a} as "${node.name}"`;
    case "constant": {
      const values = decodeElements(node.data, node.dtype);
      const shown = values
        .slice(0, PREVIEW)
        .map((v) => (node.dtype === "bool" ? String(v === 1) : String(v)));
      const body =
        node.shape.length === 0
          ? shown[0]
          : `[${shown.join(", ")}${values.length > PREVIEW ? ", …" : ""}]`;
      return `${node.id} = ${body}${node.shape.length === 0 && node.dtype !== "float32" && node.dtype !== "int64" ? ` (${node.dtype})` : ""}${node.shape.length > 0 ? ` : ${node.dtype}${formatShape(node.shape)}` : ""}`;
    }
    case "tensor":
      return `${node.id} = input "${node.name}" : ${node.dtype}${formatShape(node.shape)}`;
    case "getitem":
      return `${node.id} = ${a}${formatIndex(node.index)}`;
    case "setitem":
      return `${node.id} = ${a} with ${formatIndex(node.index)} = ${b}`;
    case "where":
      return `${node.id} = where(${a}, ${b}, ${c})`;
    case "topk":
      return `${node.id} = topk(${a}, k=${node.k}, dim=${node.dim}${node.largest ? "" : ", smallest"}).${node.part}`;
    default: {
      const {
        id: _i,
        trace: _t,
        invoke: _v,
        steps: _s,
        op,
        args,
        ...attrs
      } = node;
      const extra = Object.entries(attrs).map(
        ([k, v]) => `${k}=${JSON.stringify(v)}`,
      );
      return `${node.id} = ${op}(${[...args.map(label), ...extra].join(", ")})`;
    }
  }
}
