import { describeSite } from "@loupe/graph";
import type { ModelPlan } from "../model/model-plan.ts";
import type { BatchPlan, GraphPlan, PieceClone } from "./batch-plan.ts";
import { failGraph, RunError } from "./batch-step.ts";
import { placeCalls } from "./place-calls.ts";
import {
  appendTo,
  type GraphPlacement,
  type ModuleCall,
} from "./place-graph.ts";

/**
 * Plans a batched forward pass over the graphs' placements: where the model
 * is cut (its stages and every hook any graph touches), which piece computes
 * each module call, and what each piece outputs beyond the model's own
 * tensors. A graph whose operations cannot run in this batch fails alone
 * (its error names why) and is left out of the plan.
 */
export function planBatch(
  plan: ModelPlan,
  placements: readonly GraphPlacement[],
): BatchPlan {
  const cuts = cutsOf(plan, placements);
  const graphs: GraphPlan[] = [];
  const clones = new Map<number, PieceClone[]>();
  for (const placement of placements) {
    const { prepared, g } = placement;
    const shared = sharedWriteProblem(placement, placements.length);
    let calls: readonly PlacedCall[];
    try {
      calls = placeModuleCalls(plan, placement, cuts);
    } catch (error) {
      failGraph(prepared, g, error);
      continue;
    }
    if (shared) {
      failGraph(prepared, g, shared);
      continue;
    }
    const graph = graphs.length;
    graphs.push(
      placeCalls(placement, new Map(calls.map((c) => [c.node.id, c.end]))),
    );
    for (const { start, node, span } of calls)
      appendTo(clones, start, { graph, node, span });
  }
  const { hooks, gradHooks } = hookedTensors(placements);
  return {
    graphs,
    cuts,
    clones,
    extraOutputs: extraOutputsOf(plan, cuts, hooks),
    gradHooks,
    differentiate: graphs.some((x) => x.backward),
  };
}

/** The cut positions in order: stage boundaries and every hook any graph touches. */
function cutsOf(
  plan: ModelPlan,
  placements: readonly GraphPlacement[],
): number[] {
  const cutSet = new Set<number>([0, plan.nodes.length, ...plan.stageCuts]);
  for (const placement of placements) {
    for (const p of placement.segments.keys()) if (p >= 0) cutSet.add(p);
    for (const slot of placement.gradSegments.keys()) {
      const p = Math.floor(slot / 2);
      if (p >= 0) cutSet.add(p);
    }
  }
  return [...cutSet].sort((a, b) => a - b);
}

/**
 * Writes to a tensor without a batch axis would reach every row of the
 * pass: another graph's, or (from an invoke that has only some of its
 * graph's rows) another invoke's. The validator refuses the second case;
 * this guard keeps graphs read back from the store to the same rule. The
 * last such write names the problem.
 */
function sharedWriteProblem(
  placement: GraphPlacement,
  graphCount: number,
): RunError | undefined {
  const { windows, g } = placement;
  let problem: RunError | undefined;
  for (const entries of placement.segments.values())
    for (const e of entries) {
      if (
        e.kind !== "node" ||
        (e.node.op !== "write" && e.node.op !== "skip") ||
        !e.hook ||
        e.hook.batchAxes.length > 0
      )
        continue;
      const w = windows[e.node.invoke];
      const r0 = Math.min(...windows.map((x) => x.r0));
      const r1 = Math.max(...windows.map((x) => x.r1));
      if (graphCount > 1)
        problem = new RunError(
          `graph ${g}: node ${e.node.id} writes ${describeSite(e.hook)}, a tensor shared by every row of the batch; it cannot run beside other graphs`,
        );
      else if (w && (w.r0 !== r0 || w.r1 !== r1))
        problem = new RunError(
          `graph ${g}: node ${e.node.id} writes ${describeSite(e.hook)}, a tensor without a batch axis that every invoke's rows share, from invoke ${e.node.invoke}, which has only some of them: write it in a trace with one invoke, or from invoke(null)`,
        );
    }
  return problem;
}

/** A module call placed in the piece [start, end) that holds its module. */
interface PlacedCall extends ModuleCall {
  readonly start: number;
  readonly end: number;
}

/** Places a graph's module calls in the pieces holding their modules; throws for a call no piece can compute. */
function placeModuleCalls(
  plan: ModelPlan,
  placement: GraphPlacement,
  cuts: readonly number[],
): PlacedCall[] {
  const { g, position } = placement;
  const placed: PlacedCall[] = [];
  for (const call of placement.calls) {
    const span = plan.spans.get(call.span)!;
    const start = cuts.filter((c) => c <= span.first).at(-1)!;
    const end = cuts.find((c) => c > span.last)!;
    if (cuts.some((c) => c > span.first && c <= span.last))
      throw new RunError(
        `graph ${g}: node ${call.node.id} calls ${call.node.module} while the batch hooks inside that module; run it in a batch of its own`,
      );
    // A call on another call's result in the same piece chains the clones.
    const chained = placed.some(
      (p) => p.start === start && p.node.id === call.node.args[0],
    );
    const argAt = chained ? start : (position.get(call.node.args[0]!) ?? -1);
    if (argAt > start)
      throw new RunError(
        `graph ${g}: node ${call.node.id} calls ${call.node.module} on a value computed after that module runs in the forward pass`,
      );
    placed.push({ ...call, start, end });
  }
  return placed;
}

/**
 * Tensors the graphs hook, by cut position, and those whose gradient a
 * `.grad` reads, by gradient slot (a gradient node's tensor is hooked at its
 * position too: the backward pass needs it from the forward pass).
 */
function hookedTensors(placements: readonly GraphPlacement[]): {
  hooks: Map<number, Set<string>>;
  gradHooks: Map<number, Set<string>>;
} {
  const hooks = new Map<number, Set<string>>();
  const gradHooks = new Map<number, Set<string>>();
  const note = (map: Map<number, Set<string>>, at: number, tensor: string) => {
    const set = map.get(at);
    if (set) set.add(tensor);
    else map.set(at, new Set([tensor]));
  };
  for (const placement of placements) {
    for (const [p, entries] of placement.segments)
      for (const e of entries) if (e.hook) note(hooks, p, e.hook.tensor);
    for (const [slot, entries] of placement.gradSegments)
      for (const e of entries)
        if (e.kind === "node" && e.hook) {
          note(hooks, Math.floor(slot / 2), e.hook.tensor);
          note(gradHooks, slot, e.hook.tensor);
        }
  }
  return { hooks, gradHooks };
}

/**
 * For each piece, by the cut position where it ends: the tensors hooked
 * there that no later node reads and the model does not output (a hook on a
 * tensor only the piece itself uses): the piece outputs them too.
 */
function extraOutputsOf(
  plan: ModelPlan,
  cuts: readonly number[],
  hooks: ReadonlyMap<number, ReadonlySet<string>>,
): Map<number, string[]> {
  const extra = new Map<number, string[]>();
  for (const b of cuts) {
    const tensors = [...(hooks.get(b) ?? [])].filter(
      (tensor) =>
        (plan.lastUse.get(tensor) ?? -1) < b &&
        !plan.outputs.some((o) => o.name === tensor),
    );
    if (tensors.length > 0) extra.set(b, tensors);
  }
  return extra;
}
