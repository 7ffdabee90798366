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
    const g = trace.generate;
    lines.push(
      `trace ${t}${graph.model ? ` (${graph.model})` : ""}${g ? `: generates ${g.maxNewTokens} token(s)${g.temperature ? `, temperature ${g.temperature}${g.topK ? `, top ${g.topK}` : ""}, seed ${g.seed ?? 0}` : ", greedy"}${g.kvCache === false ? ", no key/value cache" : ""}` : ""}`,
    );
    trace.invokes.forEach((invoke, i) => {
      lines.push(`  invoke ${i}: ${describeInput(invoke.input, invoke.edit)}`);
      for (const node of graph.nodes)
        if (node.trace === t && node.invoke === i)
          lines.push(
            `    ${describeNode(node)}${node.steps ? `  @ steps ${node.steps.from}..${node.steps.to === null ? "" : node.steps.to - 1}` : ""}`,
          );
    });
  });
  return lines.join("\n");
}
