import type { GraphNode } from "../format/graph-schema.ts";
import { indexedShape, type IndexItem } from "../ir/index-spec.ts";
import type { Dim } from "../ir/shape.ts";
import type { ReportIssue } from "./report-issue.ts";
import type { ValueType } from "./value-type.ts";

/**
 * Checks a node's index against its invoke's known prompt length: an index
 * past the prompt's tokens on the sequence axis, which the symbolic check
 * cannot see, fails here, before anything is queued, naming the index, the
 * axis and its size, instead of in ONNX Runtime's Gather.
 *
 * `type` is the node's own (a checked write's: the hooked tensor), `types`
 * every value's; nodes without an index, or whose index failed already, are
 * left alone.
 */
export function checkPromptIndex(
  node: GraphNode,
  type: ValueType | null,
  types: ReadonlyMap<string, ValueType | null>,
  promptLengths: ReadonlyMap<string, number>,
  report: ReportIssue,
): void {
  if (!type || promptLengths.size === 0) return;
  const indexed = indexedTensor(node, type, types);
  if (!indexed) return;
  let bound = false;
  const shape = indexed.shape.map((d: Dim): Dim => {
    const invoke = typeof d === "string" && /^seq@(t\d+\.i\d+)$/.exec(d)?.[1];
    const length = invoke ? promptLengths.get(invoke) : undefined;
    if (length === undefined) return d;
    bound = true;
    return length;
  });
  if (!bound) return;
  const checked = indexedShape(shape, indexed.index);
  if ("error" in checked)
    report(
      node,
      `${checked.error}: the sequence axis is as long as this invoke's longest prompt, in tokens`,
    );
}

/** The tensor a node indexes, and the index; undefined for a node without one. */
function indexedTensor(
  node: GraphNode,
  type: ValueType,
  types: ReadonlyMap<string, ValueType | null>,
): { shape: readonly Dim[]; index: readonly IndexItem[] } | undefined {
  switch (node.op) {
    case "getitem":
    case "setitem": {
      const x = types.get(node.args[0]!);
      return x ? { shape: x.shape, index: node.index } : undefined;
    }
    case "write":
    case "write_grad":
      return node.index ? { shape: type.shape, index: node.index } : undefined;
    default:
      return undefined;
  }
}
