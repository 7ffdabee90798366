import type { Graph } from "../format/graph-schema.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { validateGraph } from "../validate/validate-graph.ts";
import { eliminateCommonSubexpressions } from "./eliminate-common-subexpressions.ts";
import { eliminateDeadNodes } from "./eliminate-dead-nodes.ts";
import { foldConstants } from "./fold-constants.ts";
import type { RewritePass } from "./rewrite-pass.ts";

/** The passes, in the order each round runs them. */
export const OPTIMIZATION_PASSES: readonly RewritePass[] = [
  foldConstants,
  eliminateCommonSubexpressions,
  eliminateDeadNodes,
];

/** Raised in debug mode when a pass leaves an invalid graph (a bug in the pass). */
export class OptimizationError extends Error {
  override readonly name = "OptimizationError";
  readonly code = "OPTIMIZATION_BROKE_GRAPH";
  constructor(
    readonly pass: string,
    readonly issues: readonly string[],
  ) {
    super(
      `pass ${pass} produced an invalid graph:\n${issues.map((i) => `  ${i}`).join("\n")}`,
    );
  }
}

/**
 * Runs the rewrite passes to a fixed point: constant folding, common-subexpression
 * elimination, dead-node elimination. Saves, writes, skips, stops and caches are
 * never removed. With `debug.manifest`, validates after every pass and throws
 * naming the pass that broke the graph.
 */
export function optimizeGraph(
  graph: Graph,
  debug?: { manifest: Manifest },
  passes: readonly RewritePass[] = OPTIMIZATION_PASSES,
): Graph {
  let current = graph;
  for (let round = 0; round < 100; round++) {
    let changed = false;
    for (const pass of passes) {
      const next = pass.run(current);
      if (next === current) continue;
      changed = true;
      current = next;
      if (debug) {
        const result = validateGraph(current, debug.manifest);
        if (!result.ok)
          throw new OptimizationError(
            pass.name,
            result.issues.map((i) => i.message),
          );
      }
    }
    if (!changed) return current;
  }
  throw new Error(
    "optimizeGraph: no fixed point after 100 rounds (a pass keeps changing the graph)",
  );
}
