import type { Graph } from "../format/graph-schema.ts";
import { hashGraph } from "../format/hash-graph.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import {
  GraphValidationError,
  validateGraph,
  type ValidationInputs,
  type ValidationIssue,
} from "./validate-graph.ts";
import { DEFAULT_LIMITS, type GraphLimits } from "./validate-limits.ts";
import type { ValueType } from "./value-type.ts";

declare const CHECKED: unique symbol;

/**
 * A graph checked against one model: the graph, every value's type as
 * validation inferred it, the graph's hash and the model's. The brand makes
 * it impossible to build one by hand: it comes from `checkGraph` (which
 * validates) or, for a graph checked elsewhere and stored under its hash,
 * from `checkedGraphFromStore`. The engine's batch entry point takes only
 * this form, so an unchecked graph does not compile there.
 */
export interface CheckedGraph {
  readonly graph: Graph;
  readonly types: ReadonlyMap<string, ValueType | null>;
  /** hashGraph(graph). */
  readonly hash: string;
  /** The hash of the model the graph was checked against (its manifest's, or its name). */
  readonly modelHash: string;
  readonly [CHECKED]: true;
}

/** The hash a manifest's model is known by: its content hash, or its name before import. */
export const modelHashOf = (manifest: Manifest): string =>
  manifest.model.hash ?? manifest.model.name;

/** Validates `graph` against `manifest` (given what is known of its inputs): the checked form, or every issue. */
export function checkGraph(
  graph: Graph,
  manifest: Manifest,
  limits: GraphLimits = DEFAULT_LIMITS,
  inputs: ValidationInputs = {},
):
  | { readonly ok: true; readonly checked: CheckedGraph }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] } {
  const result = validateGraph(graph, manifest, limits, inputs);
  if (!result.ok) return result;
  return {
    ok: true,
    checked: {
      graph,
      types: result.types,
      hash: hashGraph(graph),
      modelHash: modelHashOf(manifest),
    } as {
      graph: Graph;
      types: ReadonlyMap<string, ValueType | null>;
      hash: string;
      modelHash: string;
    } & { [CHECKED]: true },
  };
}

/** Like checkGraph, but throws GraphValidationError listing every issue. */
export function assertCheckedGraph(
  graph: Graph,
  manifest: Manifest,
  limits?: GraphLimits,
): CheckedGraph {
  const result = checkGraph(graph, manifest, limits);
  if (!result.ok) throw new GraphValidationError(result.issues);
  return result.checked;
}

/**
 * A graph that was checked elsewhere (the API, which stored it once with its
 * types) and read back by a worker that verified its bytes against `hash`:
 * trusted as checked, without validating it again. Only for that path.
 */
export function checkedGraphFromStore(parts: {
  graph: Graph;
  types: Readonly<Record<string, ValueType | null>>;
  hash: string;
  modelHash: string;
}): CheckedGraph {
  const checked = {
    graph: parts.graph,
    types: new Map(Object.entries(parts.types)),
    hash: parts.hash,
    modelHash: parts.modelHash,
  };
  return checked as typeof checked & { [CHECKED]: true };
}
