import type { GraphNode } from "../format/graph-schema.ts";
import type { Op } from "../ir/ops.ts";
import type { RewritePass } from "./rewrite-pass.ts";

/** Nodes that act on the model or the results: always kept, with what they use. */
const EFFECTS: ReadonlySet<Op> = new Set<Op>([
  "save",
  "write",
  "skip",
  "stop",
  "cache",
  "write_grad",
  "backward",
]);

/** Whether a node has an effect of its own (so nothing may remove it). */
export function hasEffect(node: GraphNode): boolean {
  return EFFECTS.has(node.op);
}

/**
 * Dead-node elimination: only what feeds a save or a write (or a skip, stop or
 * cache) survives. An unused read goes too: reading has no effect.
 */
export const eliminateDeadNodes: RewritePass = {
  name: "eliminate-dead-nodes",
  run(graph) {
    const live = new Set<string>();
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const mark = (id: string) => {
      const stack = [id];
      while (stack.length > 0) {
        const next = stack.pop()!;
        if (live.has(next)) continue;
        live.add(next);
        stack.push(...byId.get(next)!.args);
      }
    };
    for (const node of graph.nodes) if (hasEffect(node)) mark(node.id);
    if (live.size === graph.nodes.length) return graph;
    return { ...graph, nodes: graph.nodes.filter((n) => live.has(n.id)) };
  },
};
