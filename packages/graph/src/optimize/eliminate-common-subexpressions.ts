import { canonicalJson } from "../format/canonical-json.ts";
import type { GraphNode } from "../format/graph-schema.ts";
import type { Op } from "../ir/ops.ts";
import { renameArgs, type RewritePass } from "./rewrite-pass.ts";

/**
 * Operations whose value depends only on their args and attributes. Model reads
 * are not among them (a read sees earlier writes), nor are effects or the
 * user-supplied tensors (two inputs may share a shape, not their data).
 */
const IMPURE: ReadonlySet<Op> = new Set<Op>([
  "read",
  "write",
  "skip",
  "stop",
  "cache",
  "save",
  "tensor",
  "grad",
  "write_grad",
  "backward",
]);

/**
 * Common-subexpression elimination: a pure node equal to an earlier one (same
 * kind, args and attributes) is replaced by the earlier one, wherever in the
 * session it was written (values flow forward between invokes and traces).
 */
export const eliminateCommonSubexpressions: RewritePass = {
  name: "eliminate-common-subexpressions",
  run(graph) {
    const seen = new Map<string, string>();
    const renames = new Map<string, string>();
    for (const node of graph.nodes) {
      if (IMPURE.has(node.op)) continue;
      const args = node.args.map((a) => renames.get(a) ?? a);
      const key = canonicalJson({ ...withoutPosition(node), args });
      const first = seen.get(key);
      if (first === undefined) seen.set(key, node.id);
      else renames.set(node.id, first);
    }
    if (renames.size === 0) return graph;
    const kept = renameArgs(graph, renames);
    return { ...kept, nodes: kept.nodes.filter((n) => !renames.has(n.id)) };
  },
};

function withoutPosition(node: GraphNode): Record<string, unknown> {
  const { id: _id, trace: _trace, invoke: _invoke, ...rest } = node;
  return rest;
}
