import type { Graph, InvokeInput } from "../format/graph-schema.ts";
import { describeNode } from "./describe-node.ts";

function describeInput(
  input: InvokeInput | null,
  edit: boolean | undefined,
): string {
  if (edit) return "edits (every row)";
  if (input === null) return "the whole batch";
  if (input.kind === "text")
    return input.prompts.map((p) => JSON.stringify(p)).join(", ");
  return input.ids.map((r) => `[${r.join(" ")}]`).join(", ");
}

/**
 * The graph as readable text, one line per node under its trace and invoke:
 *
 *     trace 0
 *       invoke 0: "The Colosseum is located in the city of"
 *         n0 = layers.5.output[0]
 *         n1 = n0[:, 6, :]
 */
export function renderGraphText(graph: Graph): string {
  const lines: string[] = [];
  graph.traces.forEach((trace, t) => {
    lines.push(`trace ${t}${graph.model ? ` (${graph.model})` : ""}`);
    trace.invokes.forEach((invoke, i) => {
      lines.push(`  invoke ${i}: ${describeInput(invoke.input, invoke.edit)}`);
      for (const node of graph.nodes)
        if (node.trace === t && node.invoke === i)
          lines.push(`    ${describeNode(node)}`);
    });
  });
  return lines.join("\n");
}
