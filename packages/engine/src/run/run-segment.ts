import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import type { InputSource } from "../lower/segment-builder.ts";
import type { GraphPlan, SegmentEntry } from "./batch-plan.ts";
import { RunError, type Padding } from "./batch-step.ts";
import { SegmentLowering } from "./segment-lowering.ts";
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
  graph: GraphPlan,
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
    const w = graph.windows[invoke]!;
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
    else if (graph.exported.has(node!.id))
      views.push({ target: `v:${node!.id}`, tensor: view });
  }
  for (const { target, tensor } of views) {
    if (target.startsWith("v:")) graph.prepared.values.set(target, tensor);
    else graph.prepared.saves[target.slice(2)] = toSaved(tensor);
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
  graph: GraphPlan,
  entries: readonly SegmentEntry[],
  padding: Padding,
  record?: (entry: TapeEntry) => void,
): Promise<void> {
  if (!record && readsInPlace(env, graph, entries, padding)) return;
  const lowering = new SegmentLowering(graph, padding);
  for (const e of entries) lowering.lower(e);
  const b = lowering.finish();
  if (b.outputs.length === 0) return;

  const bytes = b.build();
  const key = `segment:${createHash("sha256").update(bytes).digest("hex")}`;
  const session = await cache.get(key, "segment", () => ({
    bytes,
    weightBytes: 0,
  }));
  const { values, saves } = graph.prepared;
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of b.inputs)
    feeds[input.name] = feedFor(input.source, env, values, graph, padding);
  const out = await cache.run(session, "segment", feeds);
  record?.({ key, program: () => b.program(), feeds, outputs: out });
  for (const o of b.outputs) {
    const value = out[o.name]!;
    if (o.target.startsWith("t:")) env.set(o.target.slice(2), value);
    else if (o.target.startsWith("v:")) values.set(o.target, value);
    else saves[o.target.slice(2)] = toSaved(value);
  }
}

function feedFor(
  source: InputSource,
  env: ReadonlyMap<string, ort.Tensor>,
  values: ReadonlyMap<string, ort.Tensor>,
  graph: GraphPlan,
  padding: Padding,
): ort.Tensor {
  switch (source.kind) {
    case "env": {
      const v = source.key.startsWith("t:")
        ? env.get(source.key.slice(2))
        : values.get(source.key);
      if (!v)
        throw new RunError(
          `graph ${graph.g}: internal: no value for ${source.key}`,
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
      const w = graph.windows[source.invoke]!;
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
      const w = graph.windows[source.invoke]!;
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
