import * as ort from "onnxruntime-node";
import {
  buildBackward,
  GRAD_OUTPUT_PREFIX,
  SEED_PREFIX,
} from "../grad/build-backward.ts";
import type { GraphPlan } from "./batch-plan.ts";
import { failGraph, RunError, type Padding } from "./batch-step.ts";
import { runSegment, type TapeEntry } from "./run-segment.ts";
import type { SessionCache } from "./session-cache.ts";

/**
 * What the forward pass recorded for the backward pass: every program it ran
 * (model pieces and intervention segments), and marks where gradient nodes
 * hook in: the tensors the model continued with at that cut position.
 */
export type TapeItem =
  | { readonly kind: "program"; readonly entry: TapeEntry }
  | {
      readonly kind: "mark";
      /** The gradient slot (GraphPlan.gradSegments): 2p + 1 after position p's writes, 2p before them. */
      readonly slot: number;
      readonly tensors: ReadonlyMap<string, ort.Tensor>;
    };

/**
 * The backward pass of one batched forward pass. Each graph with a
 * `.backward()` seeds its scalar with 1; the sum of those scalars is
 * differentiated at once (a graph's scalar depends on its own rows only, so
 * each graph gets its own gradients, as if it ran alone). Programs run in
 * reverse, each through its backward model (built once per structure and
 * cached like any session); gradients are keyed by the tensor object the
 * forward pass produced, so a tensor rewritten by an intervention is a new
 * tensor with a gradient of its own. A mark's gradient nodes run just before
 * the backward of the program that produced the mark's tensors: by then every
 * use of those tensors has added its share.
 */
export async function runBackward(
  cache: SessionCache,
  /** Consumed: each item is dropped once its backward has run, with what it held. */
  tape: TapeItem[],
  graphs: readonly GraphPlan[],
  padding: Padding,
): Promise<void> {
  const grads: Gradients = new Map();
  seedScalars(graphs, grads);
  const pass = { cache, graphs, padding, grads };
  const pending: Mark[] = [];
  for (let i = tape.length - 1; i >= 0; i--) {
    const item = tape[i]!;
    // The forward tensors of the items after this one are no longer needed.
    tape.length = i + 1;
    if (item.kind === "mark") {
      pending.push(item);
      continue;
    }
    const produced = new Set(Object.values(item.entry.outputs));
    // Marks in the order the backward pass meets them (later in the tape first).
    const due = pending.filter((mark) =>
      [...mark.tensors.values()].some((t) => produced.has(t)),
    );
    for (const mark of due) {
      pending.splice(pending.indexOf(mark), 1);
      await runMark(pass, mark);
    }
    await runProgramBackward(cache, item.entry, grads);
  }
  for (const mark of pending) await runMark(pass, mark);
}

type Mark = Extract<TapeItem, { kind: "mark" }>;

/** Gradients, by the forward tensor (the object) they are the gradient of. */
type Gradients = Map<ort.Tensor, ort.Tensor>;

/** Adds a share of a tensor's gradient to what it has. */
function addGradient(grads: Gradients, t: ort.Tensor, g: ort.Tensor): void {
  const known = grads.get(t);
  if (!known) {
    grads.set(t, g);
    return;
  }
  // Adding two gradients of one tensor: a plain loop over float32 data is
  // all it takes, cheaper than a session round trip.
  const a = known.data as Float32Array;
  const b = g.data as Float32Array;
  const sum = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) sum[i] = a[i]! + b[i]!;
  grads.set(t, new ort.Tensor("float32", sum, known.dims));
}

/** Seeds each differentiating graph's scalar with a gradient of 1 (a graph whose scalar was never computed fails). */
function seedScalars(graphs: readonly GraphPlan[], grads: Gradients): void {
  const seeded = graphs.filter((x) => x.backward && !x.prepared.error);
  for (const graph of seeded) {
    const id = graph.backward!.args[0]!;
    const scalar = graph.prepared.values.get(`v:${id}`);
    if (!scalar) {
      failGraph(
        graph.prepared,
        graph.g,
        new RunError(
          `graph ${graph.g}: node ${graph.backward!.id}: the scalar (node ${id}) was never computed (did the trace stop before it?)`,
        ),
      );
      continue;
    }
    addGradient(
      grads,
      scalar,
      new ort.Tensor(
        "float32",
        new Float32Array(scalar.size).fill(1),
        scalar.dims,
      ),
    );
  }
}

/**
 * Runs the graphs' gradient segments of a mark on the gradients of its
 * tensors (zero for a tensor nothing differentiated); a gradient write
 * replaces the gradient that flows further back.
 */
async function runMark(
  pass: {
    cache: SessionCache;
    graphs: readonly GraphPlan[];
    padding: Padding;
    grads: Gradients;
  },
  mark: Mark,
): Promise<void> {
  const { grads } = pass;
  const genv = new Map<string, ort.Tensor>();
  for (const [name, t] of mark.tensors)
    genv.set(
      name,
      grads.get(t) ??
        new ort.Tensor("float32", new Float32Array(t.size), t.dims),
    );
  for (const graph of pass.graphs) {
    const entries = graph.gradSegments.get(mark.slot);
    if (!entries?.length || graph.prepared.error) continue;
    try {
      await runSegment(pass.cache, genv, graph, entries, pass.padding);
    } catch (error) {
      failGraph(graph.prepared, graph.g, error);
    }
  }
  for (const [name, t] of mark.tensors) grads.set(t, genv.get(name)!);
}

/**
 * Runs a program's backward model on the gradients of its outputs, if it
 * has any, adding its inputs' gradients; the outputs' gradients are spent.
 */
async function runProgramBackward(
  cache: SessionCache,
  entry: TapeEntry,
  grads: Gradients,
): Promise<void> {
  const seeds = Object.keys(entry.outputs).filter((name) =>
    grads.has(entry.outputs[name]!),
  );
  if (seeds.length === 0) return;
  // The validator refuses gradients on float16 models; this is the engine's
  // own guard, so a float16 program never silently gets no gradient.
  const half = Object.keys(entry.feeds).find(
    (name) => entry.feeds[name]!.type === "float16",
  );
  if (half !== undefined)
    throw new RunError(
      `gradients through float16 tensors are not supported (${half} of ${entry.key} is float16)`,
    );
  const wrt = Object.keys(entry.feeds).filter(
    (name) => entry.feeds[name]!.type === "float32",
  );
  if (wrt.length === 0) return;
  const ranks = new Map(
    Object.entries(entry.feeds).map(([n, t]) => [n, t.dims.length]),
  );
  const key = `backward:${entry.key}|${seeds.join(",")}|${[...ranks].map(([n, r]) => `${n}:${r}`).join(",")}`;
  const session = await cache.get(key, "backward", () => {
    const program = entry.program();
    const back = buildBackward(program, { seeds, wrt, inputRanks: ranks });
    return {
      bytes: back.bytes,
      weightBytes: program.initializers.reduce(
        (s, w) => s + ("dataBytes" in w ? w.dataBytes : w.raw.length),
        0,
      ),
    };
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames)
    feeds[name] = name.startsWith(SEED_PREFIX)
      ? grads.get(entry.outputs[name.slice(SEED_PREFIX.length)]!)!
      : entry.feeds[name]!;
  const out = await cache.run(session, "backward", feeds);
  // The outputs' gradients are spent: every use came later in the forward pass.
  for (const t of Object.values(entry.outputs)) grads.delete(t);
  for (const name of session.outputNames)
    addGradient(
      grads,
      entry.feeds[name.slice(GRAD_OUTPUT_PREFIX.length)]!,
      out[name]!,
    );
}
