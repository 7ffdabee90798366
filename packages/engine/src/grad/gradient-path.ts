import { isFloatType } from "./emitter.ts";
import type { NodeView } from "./program.ts";
import type { TensorFact } from "./tensor-facts.ts";
import { NON_DIFFERENTIABLE } from "./vjp/non-differentiable.ts";

/**
 * Active tensors: float tensors that depend on a `wrt` input, following the
 * nodes forward. Non-differentiable operators stop the dependence.
 */
export function activeTensors(
  nodes: readonly NodeView[],
  facts: ReadonlyMap<string, TensorFact>,
  wrt: readonly string[],
): Set<string> {
  const active = new Set<string>(
    wrt.filter((t) => isFloatType(facts.get(t)?.elemType)),
  );
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    if (!n.input.some((t) => active.has(t))) continue;
    // A tensor of unknown type (a sequence) counts as active: an operator
    // without a rule on the path must be named, never skipped.
    for (const t of n.output) {
      const type = facts.get(t)?.elemType;
      if (type === undefined || isFloatType(type)) active.add(t);
    }
  }
  return active;
}

/**
 * The tensors and nodes a gradient flows through, following the nodes
 * backward from the seeded outputs: `relevant` holds the active tensors from
 * which a seeded output is reachable, `onPath` the nodes between them, last
 * node first (the order their rules run in).
 */
export function gradientPath(
  nodes: readonly NodeView[],
  active: ReadonlySet<string>,
  seeds: readonly string[],
): { readonly relevant: Set<string>; readonly onPath: NodeView[] } {
  const relevant = new Set<string>(seeds.filter((t) => active.has(t)));
  const onPath: NodeView[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.output.some((t) => relevant.has(t))) continue;
    if (NON_DIFFERENTIABLE.has(n.opType)) continue;
    const wanted = n.input.filter((t) => active.has(t));
    if (wanted.length === 0) continue;
    onPath.push(n);
    wanted.forEach((t) => relevant.add(t));
  }
  return { relevant, onPath };
}
