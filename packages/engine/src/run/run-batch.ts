import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import type { Graph, GraphNode, ValueType } from "@loupe/graph";
import { buildPiece, type CloneRequest } from "../model/build-piece.ts";
import { ONNX_TYPE } from "../model/element-types.ts";
import {
  hookKey,
  type HookPoint,
  type ModelPlan,
} from "../model/model-plan.ts";
import { lowerSetitem, lowerValueOp } from "../lower/lower-ops.ts";
import { SegmentBuilder, type InputSource } from "../lower/segment-builder.ts";
import type { SavedTensor } from "../results/saved-tensor.ts";
import type { SessionCache } from "./session-cache.ts";
import { ortTensor, toSaved } from "./tensors.ts";

/** A graph ready to run: validated types and its leaf values prepared. */
export interface PreparedGraph {
  readonly graph: Graph;
  readonly types: ReadonlyMap<string, ValueType | null>;
  /** Values of this graph's nodes that outlive a segment (`v:<id>`), leaves included. */
  readonly values: Map<string, ort.Tensor>;
  readonly saves: Record<string, SavedTensor>;
  /** Set when this graph failed while running; the other graphs of the batch go on. */
  error?: RunError;
  /** Token ids per trace, invoke and prompt (text already tokenized). */
  readonly tokens: readonly (readonly (
    readonly (readonly number[])[] | null
  )[])[];
}

/** How the batched model inputs are padded (left needs a position_ids input). */
export type Padding = "left" | "right";

/** Raised when a batch cannot run; the message names the node or graph. */
export class RunError extends Error {
  override readonly name = "RunError";
  readonly code = "RUN";
}

interface InvokeWindow {
  /** Rows [r0, r1) of the batch and the invoke's own token count. */
  readonly r0: number;
  readonly r1: number;
  readonly length: number;
}

interface GraphStep {
  readonly g: number;
  readonly prepared: PreparedGraph;
  readonly nodes: readonly GraphNode[];
  readonly windows: readonly InvokeWindow[];
  /** Segments by cut position (-1: before the forward pass). */
  readonly segments: Map<number, SegmentEntry[]>;
  readonly stopAt: number | undefined;
  /** Values used outside the segment that computes them. */
  readonly exported: ReadonlySet<string>;
  /** call_module nodes, placed in the piece that holds their module. */
  readonly calls: {
    node: GraphNode & { op: "call_module" };
    span: string;
    end: number;
  }[];
  /** Cut position of each node's value (-1: before the forward pass). */
  readonly position: Map<string, number>;
  /** Module calls and the nodes computed from them, placed by placeCalls. */
  readonly pending: GraphNode[];
  stopped: boolean;
}

type SegmentEntry =
  | {
      readonly kind: "node";
      readonly node: GraphNode;
      readonly hook?: HookPoint;
    }
  | {
      readonly kind: "cache";
      readonly path: string;
      readonly invoke: number;
      readonly hook: HookPoint;
    };

/**
 * Runs one forward pass per trace step for several graphs at once: their invokes
 * become rows of one batch; the model runs as pieces between the cut positions
 * the graphs hook; at each cut, each graph's intervention segment (its
 * operations lowered to ONNX) reads and rewrites only its own rows.
 */
export async function runBatch(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly PreparedGraph[],
  options: { padding: Padding; padId: number },
): Promise<void> {
  const traceCount = Math.max(...graphs.map((p) => p.graph.traces.length));
  for (let t = 0; t < traceCount; t++) {
    const here = graphs
      .map((prepared, g) => ({ prepared, g }))
      .filter(
        ({ prepared }) => prepared.graph.traces.length > t && !prepared.error,
      );
    if (here.length === 0) break;
    await runStep(plan, cache, here, t, options);
    cache.metrics.forwardPasses++;
  }
  for (const prepared of graphs)
    for (const node of prepared.graph.nodes)
      if (node.op === "save") {
        const value = prepared.values.get(`v:${node.args[0]}`);
        if (value) prepared.saves[node.name] = toSaved(value);
      }
}

async function runStep(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly { prepared: PreparedGraph; g: number }[],
  t: number,
  { padding, padId }: { padding: Padding; padId: number },
): Promise<void> {
  // Rows: every prompt of every invoke with an input, graph after graph.
  const rows: (readonly number[])[] = [];
  const steps: GraphStep[] = [];
  for (const { prepared, g } of graphs) {
    const start = rows.length;
    const windows: (InvokeWindow | undefined)[] = [];
    prepared.tokens[t]!.forEach((prompts) => {
      if (!prompts) {
        windows.push(undefined);
        return;
      }
      const r0 = rows.length;
      rows.push(...prompts);
      windows.push({
        r0,
        r1: rows.length,
        length: Math.max(...prompts.map((p) => p.length)),
      });
    });
    if (rows.length === start)
      throw new RunError(`graph ${g}: trace ${t} has no invoke with an input`);
    const whole: InvokeWindow = {
      r0: start,
      r1: rows.length,
      length: Math.max(...windows.map((w) => w?.length ?? 0)),
    };
    steps.push(
      placeGraph(
        plan,
        prepared,
        g,
        t,
        windows.map((w) => w ?? whole),
      ),
    );
  }
  const S = Math.max(...rows.map((r) => r.length));
  const B = rows.length;

  const env = new Map<string, ort.Tensor>();
  const ids = new BigInt64Array(B * S).fill(BigInt(padId));
  const mask = new BigInt64Array(B * S);
  const positions = new BigInt64Array(B * S).fill(1n);
  rows.forEach((row, r) => {
    const offset = padding === "left" ? S - row.length : 0;
    row.forEach((id, j) => {
      ids[r * S + offset + j] = BigInt(id);
      mask[r * S + offset + j] = 1n;
      positions[r * S + offset + j] = BigInt(j);
    });
  });
  for (const input of plan.inputs) {
    const data =
      input.name === "input_ids"
        ? ids
        : input.name === "attention_mask"
          ? mask
          : input.name === "position_ids"
            ? positions
            : undefined;
    if (!data)
      throw new RunError(
        `the model takes an input "${input.name}" the engine does not know how to fill`,
      );
    env.set(input.name, new ort.Tensor("int64", data, [B, S]));
  }

  // Cut positions: stage boundaries and every hook any graph touches.
  const N = plan.nodes.length;
  const cutSet = new Set<number>([0, N, ...plan.stageCuts]);
  for (const step of steps)
    for (const p of step.segments.keys()) if (p >= 0) cutSet.add(p);
  const cuts = [...cutSet].sort((a, b) => a - b);
  // Writes to a tensor without a batch axis would reach every graph's rows.
  if (steps.length > 1)
    for (const step of steps)
      for (const entries of step.segments.values())
        for (const e of entries)
          if (
            e.kind === "node" &&
            (e.node.op === "write" || e.node.op === "skip") &&
            e.hook &&
            e.hook.batchAxes.length === 0
          )
            fail(
              step,
              new RunError(
                `graph ${step.g}: node ${e.node.id} writes ${e.hook.module}.${e.hook.slot}, a tensor shared by every row of the batch; it cannot run beside other graphs`,
              ),
            );

  // call_module: the piece holding the module computes it, on a clone of its nodes.
  const clonesByPiece = new Map<
    number,
    { step: GraphStep; node: GraphNode; span: string }[]
  >();
  for (const step of steps)
    try {
      const placed: {
        a: number;
        b: number;
        call: (typeof step.calls)[number];
      }[] = [];
      for (const call of step.calls) {
        const span = plan.spans.get(call.span)!;
        const a = cuts.filter((c) => c <= span.first).at(-1)!;
        const b = cuts.find((c) => c > span.last)!;
        if (cuts.some((c) => c > span.first && c <= span.last))
          throw new RunError(
            `graph ${step.g}: node ${call.node.id} calls ${call.node.module} while the batch hooks inside that module; run it in a batch of its own`,
          );
        // A call on another call's result in the same piece chains the clones.
        const chained = placed.some(
          (p) => p.a === a && p.call.node.id === call.node.args[0],
        );
        const argAt = chained
          ? a
          : (step.position.get(call.node.args[0]!) ?? -1);
        if (argAt > a)
          throw new RunError(
            `graph ${step.g}: node ${call.node.id} calls ${call.node.module} on a value computed after that module runs in the forward pass`,
          );
        placed.push({ a, b, call });
      }
      for (const { a, b, call } of placed) {
        const list = clonesByPiece.get(a) ?? [];
        list.push({ step, node: call.node, span: call.span });
        clonesByPiece.set(a, list);
        call.end = b;
      }
    } catch (error) {
      fail(step, error);
    }
  for (const step of steps) if (!step.stopped) placeCalls(step);

  const hooksAt = new Map<number, Set<string>>();
  for (const step of steps)
    for (const [p, entries] of step.segments)
      for (const e of entries)
        if (e.kind === "cache" || e.hook) {
          const set = hooksAt.get(p) ?? new Set();
          set.add(e.hook!.tensor);
          hooksAt.set(p, set);
        }

  const runSegments = async (p: number) => {
    for (const step of steps) {
      if (step.stopped) continue;
      const entries = step.segments.get(p);
      if (entries?.length) {
        try {
          await runSegment(plan, cache, env, step, entries, padding, S);
        } catch (error) {
          // Only this graph's outputs were pending: the batch's tensors are unchanged.
          fail(step, error);
        }
      }
      if (step.stopAt === p) step.stopped = true;
    }
  };

  await runSegments(-1);
  for (let i = 0; i < cuts.length; i++) {
    const a = cuts[i]!;
    await runSegments(a);
    if (steps.every((s) => s.stopped)) break;
    const b = cuts[i + 1];
    if (b === undefined) break;
    const clones = (clonesByPiece.get(a) ?? []).filter((c) => !c.step.stopped);
    const extra = [...(hooksAt.get(b) ?? [])].filter(
      (tensor) =>
        (plan.lastUse.get(tensor) ?? -1) < b &&
        !plan.outputs.some((o) => o.name === tensor),
    );
    const requests: CloneRequest[] = [];
    clones.forEach((c, j) => {
      const from = clones.findIndex(
        (d) => d.step === c.step && d.node.id === c.node.args[0],
      );
      requests.push({
        span: c.span,
        input:
          from >= 0
            ? `${plan.spans.get(clones[from]!.span)!.output}@c${from}`
            : `call${j}`,
        tag: `c${j}`,
      });
    });
    const key = pieceKey(a, b, extra, requests);
    let piece: ReturnType<typeof buildPiece> | undefined;
    const getPiece = () => (piece ??= buildPiece(plan, a, b, extra, requests));
    const session = await cache.get(
      key,
      "piece",
      getPiece,
      clones.length === 0 && extra.length === 0,
    );
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const m = /^call(\d+)$/.exec(name);
      if (m) {
        const c = clones[Number(m[1])]!;
        feeds[name] = c.step.prepared.values.get(`v:${c.node.args[0]}`)!;
      } else {
        const value = env.get(name);
        if (!value)
          throw new RunError(
            `internal: piece [${a}, ${b}) needs ${name}, which no earlier piece produced`,
          );
        feeds[name] = value;
      }
    }
    const out = await session.run(feeds);
    cache.metrics.sessionRuns++;
    const cloneOut = new Map<string, number>();
    requests.forEach((r, j) =>
      cloneOut.set(`${plan.spans.get(r.span)!.output}@${r.tag}`, j),
    );
    for (const [name, value] of Object.entries(out)) {
      const j = cloneOut.get(name);
      if (j === undefined) env.set(name, value);
      else {
        const c = clones[j]!;
        c.step.prepared.values.set(`v:${c.node.id}`, value);
      }
    }
  }
}

/** Marks a graph failed (its error names it); it runs no further. */
function fail(step: GraphStep, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  step.prepared.error =
    error instanceof RunError
      ? error
      : new RunError(`graph ${step.g}: ${message}`, { cause: error });
  step.stopped = true;
}

/** The cache key of a model piece: its range, extra outputs and clones. */
export function pieceKey(
  a: number,
  b: number,
  extra: readonly string[],
  clones: readonly CloneRequest[],
): string {
  return `piece:${a}:${b}:${extra.join(",")}:${clones.map((r) => `${r.span}<${r.input}`).join(",")}`;
}

/** Places a graph's nodes of trace t at cut positions. */
function placeGraph(
  plan: ModelPlan,
  prepared: PreparedGraph,
  g: number,
  t: number,
  windows: readonly InvokeWindow[],
): GraphStep {
  const nodes = prepared.graph.nodes.filter((n) => n.trace === t);
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
    slot: "input" | "output",
    item: number,
  ) => {
    const real = plan.index.resolve(module)?.real ?? module;
    const h = plan.hooks.get(hookKey(real, call, slot, item));
    if (!h)
      throw new RunError(
        `graph ${g}: node ${node.id}: ${module} has no ${slot} ${item} of call ${call}`,
      );
    return h;
  };
  let lastHook = -1;
  let stopAt: number | undefined;
  const pending: GraphNode[] = [];
  for (const node of nodes) {
    const argAt = Math.max(-1, ...node.args.map((a) => position.get(a) ?? -1));
    switch (node.op) {
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
    stopped: false,
  };
}

/**
 * Places module calls and what depends on them once the batch's cuts are known:
 * a call runs in the piece holding its module, so its value (and every node
 * computed from it) exists at the end of that piece.
 */
function placeCalls(step: GraphStep): void {
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
  for (const node of step.prepared.graph.nodes) {
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

/**
 * A segment of reads only, each of a contiguous block of rows (the batch axis
 * first, every token of the tensor in the window): the values are copied out
 * of the model's tensors directly, without compiling or running a session.
 */
function readsInPlace(
  env: ReadonlyMap<string, ort.Tensor>,
  step: GraphStep,
  entries: readonly SegmentEntry[],
  padding: Padding,
): boolean {
  const views: { target: string; tensor: ort.Tensor }[] = [];
  for (const e of entries) {
    const node = e.kind === "node" ? e.node : undefined;
    if (node && node.op !== "read") return false;
    const h = e.hook!;
    const invoke = e.kind === "cache" ? e.invoke : node!.invoke;
    const full = env.get(h.tensor);
    if (!full || h.batchAxes.join() !== "0") return false;
    const w = step.windows[invoke]!;
    const dims = full.dims;
    if (h.seqAxes.some((a) => w.length !== dims[a])) return false;
    void padding;
    const row = dims.slice(1).reduce((p, d) => p * d, 1);
    const data = full.data as Float32Array;
    // The graph owns every row of the batch: its value is the tensor itself.
    const whole = w.r0 === 0 && w.r1 === dims[0];
    const view = whole
      ? full
      : new ort.Tensor(
          full.type as "float32",
          // A copy, not a view: a graph's values never share memory with other rows.
          data.slice(w.r0 * row, w.r1 * row),
          [w.r1 - w.r0, ...dims.slice(1)],
        );
    if (e.kind === "cache")
      views.push({ target: `s:cache/${e.path}`, tensor: view });
    else if (step.exported.has(node!.id))
      views.push({ target: `v:${node!.id}`, tensor: view });
  }
  for (const { target, tensor } of views) {
    if (target.startsWith("v:")) step.prepared.values.set(target, tensor);
    else step.prepared.saves[target.slice(2)] = toSaved(tensor);
  }
  return true;
}

/** Lowers and runs one graph's operations at one cut position. */
async function runSegment(
  plan: ModelPlan,
  cache: SessionCache,
  env: Map<string, ort.Tensor>,
  step: GraphStep,
  entries: readonly SegmentEntry[],
  padding: Padding,
  S: number,
): Promise<void> {
  if (readsInPlace(env, step, entries, padding)) return;
  const b = new SegmentBuilder();
  const { types, values } = step.prepared;
  const current = new Map<string, string>();
  const local = new Map<string, { name: string; type: ValueType }>();
  const hookInput = (h: HookPoint) => {
    let name = current.get(h.tensor);
    if (!name) {
      name = b.input(ONNX_TYPE[h.dtype], { kind: "env", key: `t:${h.tensor}` });
      current.set(h.tensor, name);
    }
    return name;
  };
  const typeOf = (id: string) => {
    const type = types.get(id);
    if (!type) throw new RunError(`graph ${step.g}: node ${id} has no value`);
    return type;
  };
  const valueOf = (id: string) => {
    const known = local.get(id);
    if (known) return known;
    const type = typeOf(id);
    const name = b.input(ONNX_TYPE[type.dtype], {
      kind: "env",
      key: `v:${id}`,
    });
    const v = { name, type };
    local.set(id, v);
    return v;
  };
  const windowAxes = (h: HookPoint) => [...h.batchAxes, ...h.seqAxes];
  const view = (h: HookPoint, invoke: number) => {
    const T = hookInput(h);
    if (windowAxes(h).length === 0) return T;
    const source = (part: "starts" | "ends"): InputSource => ({
      kind: "window",
      part,
      invoke,
      hookTensor: h.tensor,
      batchAxes: h.batchAxes,
      seqAxes: h.seqAxes,
    });
    return b.op("Slice", [
      T,
      b.input(7, source("starts")),
      b.input(7, source("ends")),
      b.ints(windowAxes(h)),
    ]);
  };
  const written = new Set<HookPoint>();
  const splice = (h: HookPoint, invoke: number, region: string) => {
    const T = hookInput(h);
    if (windowAxes(h).length === 0) {
      current.set(h.tensor, region);
    } else {
      const pads = b.input(7, {
        kind: "window",
        part: "pads",
        invoke,
        hookTensor: h.tensor,
        batchAxes: h.batchAxes,
        seqAxes: h.seqAxes,
      });
      const padded = b.op("Pad", [region, pads]);
      const ones = b.op("ConstantOfShape", [b.op("Shape", [region])], {
        value: { tensor: { dataType: 9, dims: [1], raw: Uint8Array.of(1) } },
      });
      const inside = b.op(
        "Cast",
        [b.op("Pad", [b.op("Cast", [ones], { to: { int: 2 } }), pads])],
        {
          to: { int: 9 },
        },
      );
      current.set(h.tensor, b.op("Where", [inside, padded, T]));
    }
    written.add(h);
  };

  for (const e of entries) {
    if (e.kind === "cache") {
      const v = view(e.hook, e.invoke);
      b.output(v, ONNX_TYPE[e.hook.dtype], `s:cache/${e.path}`);
      continue;
    }
    const node = e.node;
    switch (node.op) {
      case "read": {
        local.set(node.id, {
          name: view(e.hook!, node.invoke),
          type: typeOf(node.id),
        });
        break;
      }
      case "write":
      case "skip": {
        const h = e.hook!;
        const value = valueOf(node.args[0]!);
        const v = view(h, node.invoke);
        const target = { name: v, type: { dtype: h.dtype, shape: h.shape } };
        const index = node.op === "write" ? node.index : null;
        const region =
          index === null
            ? b.op("Expand", [
                b.cast(value.name, value.type.dtype, h.dtype),
                b.op("Shape", [v]),
              ])
            : lowerSetitem(b, target, value, index);
        splice(h, node.invoke, region);
        // `.set()` returns the written value: the invoke's view after the write.
        if (node.op === "write")
          local.set(node.id, { name: region, type: typeOf(node.id) });
        break;
      }
      default: {
        const args = node.args.map(valueOf);
        const name = lowerValueOp(b, node, args, typeOf(node.id));
        local.set(node.id, { name, type: typeOf(node.id) });
      }
    }
    if (step.exported.has(node.id) && local.has(node.id)) {
      const v = local.get(node.id)!;
      b.output(v.name, ONNX_TYPE[v.type.dtype], `v:${node.id}`);
    }
  }
  for (const h of written)
    b.output(current.get(h.tensor)!, ONNX_TYPE[h.dtype], `t:${h.tensor}`);
  if (b.outputs.length === 0) return;

  const bytes = b.build();
  const key = `segment:${createHash("sha256").update(bytes).digest("hex")}`;
  const session = await cache.get(key, "segment", () => ({
    bytes,
    weightBytes: 0,
  }));
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of b.inputs)
    feeds[input.name] = feedFor(input.source, env, values, step, padding, S);
  const out = await session.run(feeds);
  cache.metrics.sessionRuns++;
  for (const o of b.outputs) {
    const value = out[o.name]!;
    if (o.target.startsWith("t:")) env.set(o.target.slice(2), value);
    else if (o.target.startsWith("v:")) values.set(o.target, value);
    else step.prepared.saves[o.target.slice(2)] = toSaved(value);
  }
}

function feedFor(
  source: InputSource,
  env: ReadonlyMap<string, ort.Tensor>,
  values: ReadonlyMap<string, ort.Tensor>,
  step: GraphStep,
  padding: Padding,
  S: number,
): ort.Tensor {
  switch (source.kind) {
    case "env": {
      const v = source.key.startsWith("t:")
        ? env.get(source.key.slice(2))
        : values.get(source.key);
      if (!v)
        throw new RunError(
          `graph ${step.g}: internal: no value for ${source.key}`,
        );
      return v;
    }
    case "ints":
      return ortTensor(
        "int64",
        source.values,
        source.scalar ? [] : [source.values.length],
      );
    case "window": {
      const dims = env.get(source.hookTensor)!.dims;
      const w = step.windows[source.invoke]!;
      const seqStart = (d: number) => (padding === "left" ? d - w.length : 0);
      const seqEnd = (d: number) => (padding === "left" ? d : w.length);
      const starts = [
        ...source.batchAxes.map(() => w.r0),
        ...source.seqAxes.map((a) => seqStart(dims[a]!)),
      ];
      const ends = [
        ...source.batchAxes.map(() => w.r1),
        ...source.seqAxes.map((a) => seqEnd(dims[a]!)),
      ];
      if (source.part === "starts")
        return ortTensor("int64", starts, [starts.length]);
      if (source.part === "ends")
        return ortTensor("int64", ends, [ends.length]);
      const begin = dims.map(() => 0);
      const end = dims.map(() => 0);
      [...source.batchAxes, ...source.seqAxes].forEach((axis, i) => {
        begin[axis] = starts[i]!;
        end[axis] = dims[axis]! - ends[i]!;
      });
      void S;
      return ortTensor("int64", [...begin, ...end], [2 * dims.length]);
    }
  }
}
