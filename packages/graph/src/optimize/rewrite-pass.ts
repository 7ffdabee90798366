import type { Graph } from "../format/graph-schema.ts";

/**
 * A rewrite pass: returns the rewritten graph, or the same object when it found
 * nothing to change (that is how the driver detects the fixed point).
 */
export interface RewritePass {
  readonly name: string;
  run(graph: Graph): Graph;
}

/** Replaces references to `from` ids by `to` ids in every node's args. */
export function renameArgs(
  graph: Graph,
  renames: ReadonlyMap<string, string>,
): Graph {
  if (renames.size === 0) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((n) =>
      n.args.some((a) => renames.has(a))
        ? { ...n, args: n.args.map((a) => renames.get(a) ?? a) }
        : n,
    ),
  };
}
