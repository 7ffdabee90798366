import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import type { ValueType } from "@loupe/graph";
import { ONNX_TYPE } from "../model/element-types.ts";
import type { HookPoint } from "../model/model-plan.ts";
import { lowerSetitem, lowerValueOp } from "../lower/lower-ops.ts";
import { SegmentBuilder, type InputSource } from "../lower/segment-builder.ts";
import {
  RunError,
  type GraphStep,
  type Padding,
  type SegmentEntry,
} from "./batch-step.ts";
import type { SessionCache } from "./session-cache.ts";
import type { Program } from "../grad/program.ts";
import { ortTensor, toSaved } from "./tensors.ts";

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
    if (padding === "right" && w.rowLengths && h.seqAxes.length > 0)
      return false;
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

/** A program run, as the backward pass needs it: what it was, what went in and out. */
export interface TapeEntry {
  readonly key: string;
  readonly program: () => Program;
  readonly feeds: Readonly<Record<string, ort.Tensor>>;
  readonly outputs: Readonly<Record<string, ort.Tensor>>;
}

/**
 * Lowers and runs one graph's operations at one cut position. With `record`,
 * the segment always runs as a session (no in-place reads) and is recorded
 * for the backward pass. In the backward pass, `env` holds gradients and the
 * entries are gradient reads and writes, lowered exactly as reads and writes.
 */
export async function runSegment(
  cache: SessionCache,
  env: Map<string, ort.Tensor>,
  step: GraphStep,
  entries: readonly SegmentEntry[],
  padding: Padding,
  record?: (entry: TapeEntry) => void,
): Promise<void> {
  if (!record && readsInPlace(env, step, entries, padding)) return;
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
  /**
   * Right-padded rows of different lengths, moved so that each row ends at
   * the view's last position (or back, `inverse`), as left padding lays
   * them out: along each sequence axis, the (rows, positions) plane is
   * flattened and gathered by an index fed at run time. Every op here has a
   * gradient rule, so reads, writes and their gradients agree.
   */
  const aligned = (h: HookPoint, invoke: number) =>
    padding === "right" &&
    step.windows[invoke]!.rowLengths !== undefined &&
    h.batchAxes.length === 1 &&
    h.seqAxes.length > 0;
  const align = (x: string, h: HookPoint, invoke: number, inverse: boolean) => {
    const rank = h.shape.length;
    const batch = h.batchAxes[0]!;
    const index = b.input(7, { kind: "align", invoke, inverse });
    for (const seq of h.seqAxes) {
      const perm = [
        batch,
        seq,
        ...[...Array(rank).keys()].filter((a) => a !== batch && a !== seq),
      ];
      const back = perm.map((_, i) => perm.indexOf(i));
      const moved = b.op("Transpose", [x], { perm: { ints: perm } });
      const shape = b.op("Shape", [moved]);
      const rest = b.op("Slice", [shape, b.ints([2]), b.ints([rank])]);
      const flat = b.op("Reshape", [
        moved,
        b.op("Concat", [b.ints([-1]), rest], { axis: { int: 0 } }),
      ]);
      const gathered = b.op("Gather", [flat, index], { axis: { int: 0 } });
      x = b.op("Transpose", [b.op("Reshape", [gathered, shape])], {
        perm: { ints: back },
      });
    }
    return x;
  };
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
    const sliced = b.op("Slice", [
      T,
      b.input(7, source("starts")),
      b.input(7, source("ends")),
      b.ints(windowAxes(h)),
    ]);
    return aligned(h, invoke) ? align(sliced, h, invoke, false) : sliced;
  };
  const written = new Set<HookPoint>();
  const splice = (h: HookPoint, invoke: number, viewed: string) => {
    const T = hookInput(h);
    const region = aligned(h, invoke) ? align(viewed, h, invoke, true) : viewed;
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
      case "grad":
      case "read": {
        local.set(node.id, {
          name: view(e.hook!, node.invoke),
          type: typeOf(node.id),
        });
        break;
      }
      case "write":
      case "write_grad":
      case "skip": {
        const h = e.hook!;
        const value = valueOf(node.args[0]!);
        const v = view(h, node.invoke);
        const target = { name: v, type: { dtype: h.dtype, shape: h.shape } };
        const index = node.op === "skip" ? null : node.index;
        const region =
          index === null
            ? b.op("Expand", [
                b.cast(value.name, value.type.dtype, h.dtype),
                b.op("Shape", [v]),
              ])
            : lowerSetitem(b, target, value, index);
        splice(h, node.invoke, region);
        // `.set()` returns the written value: the invoke's view after the write.
        if (node.op !== "skip")
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
    feeds[input.name] = feedFor(input.source, env, values, step, padding);
  const out = await cache.run(session, "segment", feeds);
  record?.({ key, program: () => b.program(), feeds, outputs: out });
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
      return ortTensor("int64", [...begin, ...end], [2 * dims.length]);
    }
    case "align": {
      // Row r of the view holds its l_r tokens at [W - l_r, W) when aligned,
      // at [0, l_r) as computed; positions outside move round (pads).
      const w = step.windows[source.invoke]!;
      const W = w.length;
      const index: number[] = [];
      w.rowLengths!.forEach((l, r) => {
        const shift = W - l;
        for (let j = 0; j < W; j++)
          index.push(r * W + ((j + (source.inverse ? shift : W - shift)) % W));
      });
      return ortTensor("int64", index, [index.length]);
    }
  }
}
