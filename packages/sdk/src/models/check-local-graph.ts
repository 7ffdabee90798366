import {
  checkGraph,
  DEFAULT_LIMITS,
  GraphValidationError,
  hasTextPrompts,
  locateIssues,
  promptLengths,
  type CheckedGraph,
  type Graph,
  type Manifest,
  type TextTokenizer,
} from "@loupe/graph";
import { GraphInvalidError } from "../errors/loupe-client-error.ts";
import { scriptSources } from "./script-sources.ts";

/**
 * Checks a graph for a local run as the server checks a submitted one: the
 * text prompts tokenized first, so an index past a prompt's tokens fails
 * here rather than in ONNX Runtime, and every issue named by the script's
 * line that made its node. Throws GraphInvalidError listing every issue.
 */
export function checkLocalGraph(
  graph: Graph,
  manifest: Manifest,
  tokenizer: TextTokenizer | undefined,
): CheckedGraph {
  const lengths =
    tokenizer && hasTextPrompts(graph)
      ? promptLengths(graph, tokenizer)
      : undefined;
  const result = checkGraph(
    graph,
    manifest,
    DEFAULT_LIMITS,
    lengths ? { promptLengths: lengths } : {},
  );
  if (result.ok) return result.checked;
  const issues = locateIssues(result.issues, scriptSources(graph));
  const error = new GraphValidationError(issues);
  throw new GraphInvalidError(issues, error.message, { cause: error });
}
