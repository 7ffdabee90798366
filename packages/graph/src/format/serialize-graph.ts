import { canonicalJson } from "./canonical-json.ts";
import type { Graph } from "./graph-schema.ts";

/** The graph as canonical JSON text (what is stored, sent and hashed). */
export function serializeGraph(graph: Graph): string {
  return canonicalJson(graph);
}
