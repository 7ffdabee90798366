import { describeSite, type GraphNode, type HookSlot } from "@loupe/graph";
import {
  hookKey,
  type HookPoint,
  type ModelPlan,
} from "../model/model-plan.ts";
import {
  RunError,
  type GraphStep,
  type InvokeWindow,
  type PreparedGraph,
  type SegmentEntry,
} from "./batch-step.ts";

/** Places a graph's nodes of trace t at cut positions. */
export function placeGraph(
  plan: ModelPlan,
  prepared: PreparedGraph,
  g: number,
  t: number,
  windows: readonly InvokeWindow[],
  step?: number,
): GraphStep {
  const nodes = prepared.graph.nodes.filter(
    (n) => n.trace === t && (step === undefined || runsAtStep(n, step)),
  );
  const position = new Map<string, number>();
  const segments = new Map<number, SegmentEntry[]>();
  const calls: GraphStep["calls"] = [];
  const add = (p: number, e: SegmentEntry) => {
    const list = segments.get(p) ?? [];
    list.push(e);
    segments.set(p, list);
  };
  const hookOf = (
    node: GraphNode,
    module: string,
    call: number,
    slot: HookSlot,
    item: number,
    source?: string,
  ) => {
    const real = plan.index.resolve(module)?.real ?? module;
    const h = plan.hooks.get(hookKey(real, call, slot, item, source));
    if (!h)
      throw new RunError(
        `graph ${g}: node ${node.id}: ${describeSite({ module, call, slot, source })} has no item ${item}`,
      );
    return h;
  };
  // Which gradient a `.grad` is (graph-schema's `of`): a handle read before
  // a write to its tensor has the gradient from before the write, taken at
  // the position's "pre" slot, after the write's backward; otherwise the
  // gradient of the value the model continued with, at the "post" slot.
  // Slots order the backward pass: 2p + 1 (post) runs before 2p (pre).
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const writesTo = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    if (n.op !== "write" && n.op !== "skip") return;
    const real = plan.index.resolve(n.module)?.real ?? n.module;
    const h =
      n.op === "skip"
        ? plan.hooks.get(hookKey(real, n.call, "output", 0))
        : plan.hooks.get(hookKey(real, n.call, n.slot, n.item ?? 0, n.source));
    if (!h) return;
    const list = writesTo.get(h.tensor) ?? [];
    list.push(i);
    writesTo.set(h.tensor, list);
  });
  const gradSlot = (
    node: GraphNode & { op: "grad" | "write_grad" },
    h: HookPoint,
  ) => {
    const at = node.of === undefined ? undefined : order.get(node.of);
    const writes = writesTo.get(h.tensor) ?? [];
    if (at === undefined || writes.length === 0) return 2 * h.position + 1;
    // A write node is the written value: it counts itself.
    const before = writes.filter((w) => w <= at).length;
    if (before === 0) return 2 * h.position;
    if (before === writes.length) return 2 * h.position + 1;
    throw new RunError(
      `graph ${g}: node ${node.id}: the gradient of ${describeSite(node)} between two writes to its tensor (nodes ${nodes[writes[before - 1]!]!.id} and ${nodes[writes[before]!]!.id}) is not supported: take it before the first write or after the last`,
    );
  };
  let lastHook = -1;
  let stopAt: number | undefined;
  const pending: GraphNode[] = [];
  const gradSegments = new Map<number, SegmentEntry[]>();
  const gradPosition = new Map<string, number>();
  let backward: (GraphNode & { op: "backward" }) | undefined;
  for (const node of nodes) {
    const argAt = Math.max(-1, ...node.args.map((a) => position.get(a) ?? -1));
    // The backward pass: gradient nodes run when their hook's gradient is
    // complete; what is computed from gradients at the latest of those points
    // (the lowest position: the backward pass runs from the end).
    const gradArgs = node.args.filter((a) => gradPosition.has(a));
    if (node.op === "grad" || node.op === "write_grad") {
      const h = hookOf(
        node,
        node.module,
        node.call,
        node.slot,
        node.item ?? 0,
        node.source,
      );
      const slot = gradSlot(node, h);
      const valueAt = gradArgs.map((a) => gradPosition.get(a)!);
      if (valueAt.some((p) => p < slot))
        throw new RunError(
          `graph ${g}: node ${node.id} writes the gradient of ${describeSite(node)} with a value computed from a gradient the backward pass reaches only later (a module earlier in the forward pass)`,
        );
      gradPosition.set(node.id, slot);
      const list = gradSegments.get(slot) ?? [];
      list.push({ kind: "node", node, hook: h });
      gradSegments.set(slot, list);
      continue;
    }
    if (gradArgs.length > 0) {
      const p = Math.min(...gradArgs.map((a) => gradPosition.get(a)!));
      gradPosition.set(node.id, p);
      if (node.op !== "save") {
        const list = gradSegments.get(p) ?? [];
        list.push({ kind: "node", node });
        gradSegments.set(p, list);
      }
      continue;
    }
    switch (node.op) {
      case "backward":
        backward = node;
        position.set(node.id, argAt);
        break;
      case "constant":
      case "tensor":
      case "param":
      case "save":
        position.set(node.id, node.op === "save" ? argAt : -1);
        break;
      case "read":
      case "write": {
        const h = hookOf(
          node,
          node.module,
          node.call,
          node.slot,
          node.item ?? 0,
          node.source,
        );
        position.set(node.id, h.position);
        lastHook = Math.max(lastHook, h.position);
        add(h.position, { kind: "node", node, hook: h });
        break;
      }
      case "skip": {
        const h = hookOf(node, node.module, node.call, "output", 0);
        position.set(node.id, h.position);
        lastHook = Math.max(lastHook, h.position);
        add(h.position, { kind: "node", node, hook: h });
        break;
      }
      case "cache":
        // A cache collects passively: it does not hold a later stop() back.
        for (const path of node.modules) {
          const h = hookOf(node, path, 0, "output", 0);
          add(h.position, {
            kind: "cache",
            path,
            invoke: node.invoke,
            hook: h,
          });
        }
        position.set(node.id, -1);
        break;
      case "stop":
        stopAt = stopAt === undefined ? lastHook : Math.min(stopAt, lastHook);
        break;
      case "call_module": {
        const real = plan.index.resolve(node.module)?.real ?? node.module;
        calls.push({ node, span: `${real}#0`, end: -1 });
        // Its position is known once the batch's cuts are (placeCalls).
        position.set(node.id, Number.POSITIVE_INFINITY);
        pending.push(node);
        break;
      }
      default:
        if (argAt === Number.POSITIVE_INFINITY) {
          position.set(node.id, argAt);
          pending.push(node);
        } else {
          position.set(node.id, argAt);
          add(argAt, { kind: "node", node });
        }
    }
  }
  return {
    g,
    prepared,
    nodes,
    windows,
    segments,
    stopAt,
    exported: new Set(),
    calls,
    position,
    pending,
    gradSegments,
    gradPosition,
    backward,
    stopped: false,
  };
}

/**
 * Places module calls and what depends on them once the batch's cuts are known:
 * a call runs in the piece holding its module, so its value (and every node
 * computed from it) exists at the end of that piece.
 */
export function placeCalls(step: GraphStep): void {
  const ends = new Map(step.calls.map((c) => [c.node.id, c.end]));
  for (const node of step.pending) {
    if (node.op === "call_module") {
      step.position.set(node.id, ends.get(node.id)!);
      continue;
    }
    const p = Math.max(-1, ...node.args.map((a) => step.position.get(a) ?? -1));
    step.position.set(node.id, p);
    const list = step.segments.get(p) ?? [];
    list.push({ kind: "node", node });
    list.sort((x, y) => order(step.nodes, x) - order(step.nodes, y));
    step.segments.set(p, list);
  }
  computeExported(step);
}

function order(nodes: readonly GraphNode[], e: SegmentEntry): number {
  return e.kind === "node" ? nodes.indexOf(e.node) : -1;
}

/** Values that leave the segment computing them: saved, or used elsewhere. */
function computeExported(step: GraphStep): void {
  const exported = step.exported as Set<string>;
  const position = step.position;
  const grads = step.gradPosition;
  for (const node of step.prepared.graph.nodes) {
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
      if (
        node.trace !== step.nodes[0]?.trace ||
        position.get(a) !== position.get(node.id)
      )
        exported.add(a);
  }
}

/** Whether a node of a generating trace runs at this step (no `steps`: every step). */
export function runsAtStep(node: GraphNode, step: number): boolean {
  const s = node.steps;
  return !s || (step >= s.from && (s.to === null || step < s.to));
}
