import type { CheckedGraph, Graph } from "@loupe/graph";
import type { RunRequest, UncheckedRunRequest } from "../engine.ts";

/** Whatever `run` takes, as the checked request runMany takes (checking a graph with `check`). */
export function toCheckedRequest(
  request: RunRequest | UncheckedRunRequest | CheckedGraph | Graph,
  check: (graph: Graph) => CheckedGraph,
): RunRequest {
  if ("checked" in request) return request;
  if ("types" in request) return { checked: request };
  if ("traces" in request) return { checked: check(request) };
  const { graph, ...rest } = request;
  return { ...rest, checked: check(graph) };
}
