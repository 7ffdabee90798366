import type { GraphSources } from "../format/graph-sources.ts";
import type { ValidationIssue } from "./validate-graph.ts";

/**
 * Names in each issue the line of the script that made its node, from the
 * sources that came with the graph: "examples/patch.ts:12:
 * transformer.h.5.mlp.output: index 9 is out of range … (node n4, getitem)".
 * The node id stays, at the end, for tools; an issue whose node has no
 * source (or no node) is left as it is.
 */
export function locateIssues(
  issues: readonly ValidationIssue[],
  sources: GraphSources | undefined,
): ValidationIssue[] {
  return issues.map((issue) => {
    const source = sources?.[issue.nodeId];
    if (!source) return issue;
    const prefix = `node ${issue.nodeId} (${issue.op}): `;
    const detail = issue.message.startsWith(prefix)
      ? issue.message.slice(prefix.length)
      : issue.message;
    const module = issue.module ? `${issue.module}: ` : "";
    return {
      ...issue,
      source,
      message: `${source}: ${module}${detail} (node ${issue.nodeId}, ${issue.op})`,
    };
  });
}
