import { describeSite, type GraphNode, type HookSlot } from "@loupe/graph";
import {
  hookKey,
  type HookPoint,
  type ModelPlan,
} from "../model/model-plan.ts";
import type { InvokeWindow, SegmentEntry } from "./batch-plan.ts";
import { RunError, type PreparedGraph } from "./batch-step.ts";

/** A call_module node, placed in the piece that holds its module. */
export interface ModuleCall {
  readonly node: GraphNode & { op: "call_module" };
  /** `${path}#0` of the module (its real path). */
  readonly span: string;
}

/**
 * A graph's nodes of one trace placed at cut positions, before the batch's
 * cuts are known: module calls, and what is computed from them, wait for
 * those (`pending`), and `placeCalls` makes the graph's plan.
 */
export interface GraphPlacement {
  readonly g: number;
  readonly prepared: PreparedGraph;
  /** The nodes of the trace (of this step, when it generates), in graph order. */
  readonly nodes: readonly GraphNode[];
  readonly windows: readonly InvokeWindow[];
  readonly segments: ReadonlyMap<number, readonly SegmentEntry[]>;
  readonly gradSegments: ReadonlyMap<number, readonly SegmentEntry[]>;
  /** Cut position of each node's value (-1: before the forward pass; +Infinity: pending). */
  readonly position: ReadonlyMap<string, number>;
  /** Gradient slot of each node computed from gradients. */
  readonly gradPosition: ReadonlyMap<string, number>;
  readonly calls: readonly ModuleCall[];
  /** Module calls and the nodes computed from them, placed by placeCalls. */
  readonly pending: readonly GraphNode[];
  readonly stopAt: number | undefined;
  readonly backward: (GraphNode & { op: "backward" }) | undefined;
}

/** The placement as it is built (see GraphPlacement). */
interface Draft {
  readonly plan: ModelPlan;
  readonly g: number;
  readonly position: Map<string, number>;
  readonly segments: Map<number, SegmentEntry[]>;
  readonly gradSegments: Map<number, SegmentEntry[]>;
  readonly gradPosition: Map<string, number>;
  readonly calls: ModuleCall[];
  readonly pending: GraphNode[];
  /** The gradient slot of a `.grad` or gradient write on hook h. */
  readonly gradSlot: (
    node: GraphNode & { op: "grad" | "write_grad" },
    h: HookPoint,
  ) => number;
  /** The latest hook placed so far: a `stop()` ends the pass there. */
  lastHook: number;
  stopAt: number | undefined;
  backward: (GraphNode & { op: "backward" }) | undefined;
}

/** Appends to the list at `key`, starting it if there is none. */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Places a graph's nodes of trace t (of generation step `step`, if given) at cut positions. */
export function placeGraph(
  plan: ModelPlan,
  prepared: PreparedGraph,
  g: number,
  t: number,
  windows: readonly InvokeWindow[],
  step?: number,
): GraphPlacement {
  const nodes = prepared.graph.nodes.filter(
    (n) => n.trace === t && (step === undefined || runsAtStep(n, step)),
  );
  const draft: Draft = {
    plan,
    g,
    position: new Map(),
    segments: new Map(),
    gradSegments: new Map(),
    gradPosition: new Map(),
    calls: [],
    pending: [],
    gradSlot: gradSlotRule(plan, g, nodes),
    lastHook: -1,
    stopAt: undefined,
    backward: undefined,
  };
  for (const node of nodes)
    if (!placeGradientNode(draft, node)) placeForwardNode(draft, node);
  const { position, segments, gradSegments, gradPosition } = draft;
  const { calls, pending, stopAt, backward } = draft;
  return {
    g,
    prepared,
    nodes,
    windows,
    segments,
    gradSegments,
    position,
    gradPosition,
    calls,
    pending,
    stopAt,
    backward,
  };
}

/** The hook point at a module's call, slot and item, through the module's alias; undefined if the model has none there. */
function findHook(
  plan: ModelPlan,
  module: string,
  call: number,
  slot: HookSlot,
  item: number,
  source?: string,
): HookPoint | undefined {
  const real = plan.index.resolve(module)?.real ?? module;
  return plan.hooks.get(hookKey(real, call, slot, item, source));
}

/** The hook point a node hooks, which must exist (the validator checked the graph against this model). */
function hookOf(
  draft: Draft,
  node: GraphNode,
  module: string,
  call: number,
  slot: HookSlot,
  item: number,
  source?: string,
): HookPoint {
  const h = findHook(draft.plan, module, call, slot, item, source);
  if (!h)
    throw new RunError(
      `graph ${draft.g}: node ${node.id}: ${describeSite({ module, call, slot, source })} has no item ${item}`,
    );
  return h;
}

/**
 * Which gradient a `.grad` is (graph-schema's `of`): a handle read before a
 * write to its tensor has the gradient from before the write, taken at the
 * position's "pre" slot, after the write's backward; otherwise the gradient
 * of the value the model continued with, at the "post" slot. Slots order the
 * backward pass: 2p + 1 (post) runs before 2p (pre).
 */
function gradSlotRule(
  plan: ModelPlan,
  g: number,
  nodes: readonly GraphNode[],
): Draft["gradSlot"] {
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const writesTo = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    if (n.op !== "write" && n.op !== "skip") return;
    const h =
      n.op === "skip"
        ? findHook(plan, n.module, n.call, "output", 0)
        : findHook(plan, n.module, n.call, n.slot, n.item ?? 0, n.source);
    if (h) appendTo(writesTo, h.tensor, i);
  });
  return (node, h) => {
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
}

/**
 * Places a node of the backward pass, if it is one: gradient nodes run when
 * their hook's gradient is complete; what is computed from gradients, at the
 * latest of those points (the lowest slot: the backward pass runs from the
 * end). Returns whether the node was one.
 */
function placeGradientNode(draft: Draft, node: GraphNode): boolean {
  const { gradPosition, gradSegments } = draft;
  const gradArgs = node.args.filter((a) => gradPosition.has(a));
  if (node.op === "grad" || node.op === "write_grad") {
    const h = hookOf(
      draft,
      node,
      node.module,
      node.call,
      node.slot,
      node.item ?? 0,
      node.source,
    );
    const slot = draft.gradSlot(node, h);
    if (gradArgs.some((a) => gradPosition.get(a)! < slot))
      throw new RunError(
        `graph ${draft.g}: node ${node.id} writes the gradient of ${describeSite(node)} with a value computed from a gradient the backward pass reaches only later (a module earlier in the forward pass)`,
      );
    gradPosition.set(node.id, slot);
    appendTo(gradSegments, slot, { kind: "node", node, hook: h });
    return true;
  }
  if (gradArgs.length === 0) return false;
  const p = Math.min(...gradArgs.map((a) => gradPosition.get(a)!));
  gradPosition.set(node.id, p);
  if (node.op !== "save") appendTo(gradSegments, p, { kind: "node", node });
  return true;
}

/** Places a node of the forward pass at the cut position where its value exists. */
function placeForwardNode(draft: Draft, node: GraphNode): void {
  const { position, segments } = draft;
  const argAt = Math.max(-1, ...node.args.map((a) => position.get(a) ?? -1));
  switch (node.op) {
    case "backward":
      draft.backward = node;
      position.set(node.id, argAt);
      break;
    case "constant":
    case "tensor":
    case "param":
      position.set(node.id, -1);
      break;
    case "save":
      position.set(node.id, argAt);
      break;
    case "read":
    case "write":
      placeHook(
        draft,
        node,
        hookOf(
          draft,
          node,
          node.module,
          node.call,
          node.slot,
          node.item ?? 0,
          node.source,
        ),
      );
      break;
    case "skip":
      // A skip replaces the module's output.
      placeHook(
        draft,
        node,
        hookOf(draft, node, node.module, node.call, "output", 0),
      );
      break;
    case "cache":
      // A cache collects passively: it does not hold a later stop() back.
      for (const path of node.modules) {
        const hook = hookOf(draft, node, path, 0, "output", 0);
        appendTo(segments, hook.position, {
          kind: "cache",
          path,
          invoke: node.invoke,
          hook,
        });
      }
      position.set(node.id, -1);
      break;
    case "stop":
      draft.stopAt = Math.min(draft.stopAt ?? Infinity, draft.lastHook);
      break;
    case "call_module": {
      const real = draft.plan.index.resolve(node.module)?.real ?? node.module;
      draft.calls.push({ node, span: `${real}#0` });
      // Its position is known once the batch's cuts are (placeCalls).
      position.set(node.id, Number.POSITIVE_INFINITY);
      draft.pending.push(node);
      break;
    }
    default:
      position.set(node.id, argAt);
      if (argAt === Number.POSITIVE_INFINITY) draft.pending.push(node);
      else appendTo(segments, argAt, { kind: "node", node });
  }
}

/** Places a read, write or skip at its hook's cut position. */
function placeHook(draft: Draft, node: GraphNode, h: HookPoint): void {
  draft.position.set(node.id, h.position);
  draft.lastHook = Math.max(draft.lastHook, h.position);
  appendTo(draft.segments, h.position, { kind: "node", node, hook: h });
}

/** Whether a node of a generating trace runs at this step (no `steps`: every step). */
export function runsAtStep(node: GraphNode, step: number): boolean {
  const s = node.steps;
  return !s || (step >= s.from && (s.to === null || step < s.to));
}
