import type { GraphPlan, SegmentEntry } from "./batch-plan.ts";
import type { GraphPlacement } from "./place-graph.ts";

/**
 * The graph's plan, once the batch's cuts are known: a module call runs in
 * the piece holding its module, so its value (and every node computed from
 * it) exists at the end of that piece (`ends`, by call node id).
 */
export function placeCalls(
  placement: GraphPlacement,
  ends: ReadonlyMap<string, number>,
): GraphPlan {
  let { segments, position } = placement;
  if (placement.pending.length > 0)
    ({ segments, position } = placePending(placement, ends));
  const { g, prepared, windows, gradSegments, stopAt, backward } = placement;
  return {
    g,
    prepared,
    windows,
    segments,
    gradSegments,
    exported: exportedValues(placement, position),
    stopAt,
    backward,
  };
}

/** The placement's segments and positions with its pending nodes placed (new maps: the placement is unchanged). */
function placePending(
  placement: GraphPlacement,
  ends: ReadonlyMap<string, number>,
): {
  segments: ReadonlyMap<number, readonly SegmentEntry[]>;
  position: ReadonlyMap<string, number>;
} {
  const position = new Map(placement.position);
  const segments = new Map<number, readonly SegmentEntry[]>(placement.segments);
  const grown = new Map<number, SegmentEntry[]>();
  for (const node of placement.pending) {
    if (node.op === "call_module") {
      position.set(node.id, ends.get(node.id)!);
      continue;
    }
    const p = Math.max(-1, ...node.args.map((a) => position.get(a) ?? -1));
    position.set(node.id, p);
    let list = grown.get(p);
    if (!list) grown.set(p, (list = [...(segments.get(p) ?? [])]));
    list.push({ kind: "node", node });
  }
  const order = (e: SegmentEntry) =>
    e.kind === "node" ? placement.nodes.indexOf(e.node) : -1;
  for (const [p, list] of grown)
    segments.set(
      p,
      list.sort((x, y) => order(x) - order(y)),
    );
  return { segments, position };
}

/** Values that leave the segment computing them: saved, or used elsewhere. */
function exportedValues(
  placement: GraphPlacement,
  position: ReadonlyMap<string, number>,
): Set<string> {
  const exported = new Set<string>();
  const grads = placement.gradPosition;
  const trace = placement.nodes[0]?.trace;
  for (const node of placement.prepared.graph.nodes) {
    if (node.op === "backward") exported.add(node.args[0]!);
    if (grads.has(node.id)) {
      // Backward-pass nodes: every value from the forward pass, or from
      // another point of the backward pass, enters their segment from outside.
      for (const a of node.args)
        if (!grads.has(a) || grads.get(a) !== grads.get(node.id))
          exported.add(a);
      if (node.op === "save") exported.add(node.args[0]!);
      continue;
    }
    if (node.op === "save") exported.add(node.args[0]!);
    if (node.op === "call_module") exported.add(node.args[0]!);
    for (const a of node.args)
      if (node.trace !== trace || position.get(a) !== position.get(node.id))
        exported.add(a);
  }
  return exported;
}
