import type { Graph, GraphNode } from "../format/graph-schema.ts";
import { describeNode } from "./describe-node.ts";

/** How a DAG node is drawn: model hooks, plain values, or effects (save, write, …). */
export type DagNodeKind = "model" | "value" | "effect";

/** A graph as nodes and edges, for drawing (the portal lays it out). */
export interface GraphDag {
  readonly nodes: readonly {
    id: string;
    op: string;
    label: string;
    kind: DagNodeKind;
    trace: number;
    invoke: number;
  }[];
  readonly edges: readonly { from: string; to: string }[];
}

function kindOf(node: GraphNode): DagNodeKind {
  if (
    node.op === "save" ||
    node.op === "write" ||
    node.op === "skip" ||
    node.op === "stop" ||
    node.op === "cache" ||
    node.op === "write_grad" ||
    node.op === "backward"
  )
    return "effect";
  if (
    node.op === "read" ||
    node.op === "grad" ||
    node.op === "param" ||
    node.op === "call_module"
  )
    return "model";
  return "value";
}

/** The graph as a DAG: every node with a readable label, every arg as an edge. */
export function graphToDag(graph: Graph): GraphDag {
  return {
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      op: n.op,
      label: describeNode(n),
      kind: kindOf(n),
      trace: n.trace,
      invoke: n.invoke,
    })),
    edges: graph.nodes.flatMap((n) =>
      n.args.map((from) => ({ from, to: n.id })),
    ),
  };
}

/** The DAG in Graphviz DOT, one cluster per trace and invoke. */
export function graphToDot(graph: Graph): string {
  const dag = graphToDag(graph);
  const escape = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  const shape: Record<DagNodeKind, string> = {
    model: "box",
    value: "ellipse",
    effect: "octagon",
  };
  const lines = [
    "digraph intervention {",
    "  rankdir=TB;",
    '  node [fontname="monospace"];',
  ];
  graph.traces.forEach((trace, t) =>
    trace.invokes.forEach((_, i) => {
      lines.push(
        `  subgraph cluster_t${t}_i${i} {`,
        `    label="trace ${t}, invoke ${i}";`,
      );
      for (const n of dag.nodes)
        if (n.trace === t && n.invoke === i)
          lines.push(
            `    ${n.id} [label="${escape(n.label)}", shape=${shape[n.kind]}];`,
          );
      lines.push("  }");
    }),
  );
  for (const e of dag.edges) lines.push(`  ${e.from} -> ${e.to};`);
  lines.push("}");
  return lines.join("\n");
}
