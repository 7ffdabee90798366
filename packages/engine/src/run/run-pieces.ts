import type * as ort from "onnxruntime-node";
import {
  buildPiece,
  pieceKey,
  type CloneRequest,
  type Piece,
} from "../model/build-piece.ts";
import type { ModelPlan } from "../model/model-plan.ts";
import type { BatchPlan, PieceClone } from "./batch-plan.ts";
import { failGraph, RunError, type Padding } from "./batch-step.ts";
import { recordMemory, tensorBytes } from "./memory-metrics.ts";
import { runBackward, type TapeItem } from "./run-backward.ts";
import { runSegment, type TapeEntry } from "./run-segment.ts";
import type { SessionCache } from "./session-cache.ts";

/** A planned pass as it runs: what changes is the batch's tensors, which graphs have stopped, and the tape. */
interface PassRun {
  readonly plan: ModelPlan;
  readonly cache: SessionCache;
  readonly batch: BatchPlan;
  readonly padding: Padding;
  /** The batch's tensors by name, as the pieces and the graphs' writes leave them. */
  readonly env: Map<string, ort.Tensor>;
  /** Per graph of `batch.graphs`: whether it has stopped (its stop() reached, or it failed). */
  readonly stopped: boolean[];
  /** Every program run and gradient mark, for the backward pass (undefined: no graph has one). */
  readonly tape: TapeItem[] | undefined;
  readonly record: ((entry: TapeEntry) => void) | undefined;
}

/**
 * Runs a planned forward pass on the model's inputs (`env`, which then
 * holds every tensor the pass kept): the graphs' segments at each cut, the
 * model's pieces between cuts, then, if a graph differentiates, the
 * backward pass. A graph's own failure (its segment) is recorded on it and
 * the others go on; a failure of what they share (a piece, a backward
 * model) is thrown.
 */
export async function runPieces(
  plan: ModelPlan,
  cache: SessionCache,
  batch: BatchPlan,
  env: Map<string, ort.Tensor>,
  padding: Padding,
): Promise<void> {
  const tape = batch.differentiate ? ([] as TapeItem[]) : undefined;
  const run: PassRun = {
    plan,
    cache,
    batch,
    padding,
    env,
    stopped: batch.graphs.map(() => false),
    tape,
    record: tape && ((entry) => tape.push({ kind: "program", entry })),
  };
  // The model's inputs and outputs stay: a generation's next step grows them.
  const kept = new Set([
    ...plan.outputs.map((o) => o.name),
    ...plan.inputs.map((i) => i.name),
  ]);
  const { cuts } = batch;
  await runSegmentsAt(run, -1);
  for (let i = 0; i < cuts.length; i++) {
    const a = cuts[i]!;
    await runSegmentsAt(run, a);
    // Tensors no node from `a` on reads, and no later hook, are dropped: the
    // batch holds only what is still to be used (a backward pass's tape keeps
    // its own references).
    meter(run);
    for (const name of [...env.keys()])
      if ((plan.lastUse.get(name) ?? -1) < a && !kept.has(name))
        env.delete(name);
    if (run.stopped.every(Boolean)) break;
    const b = cuts[i + 1];
    if (b === undefined) break;
    await runPiece(run, a, b);
    meter(run);
  }
  // Backward models run on the whole batch's tensors: their failure is the
  // batch's, thrown for the caller to isolate (see runIsolated).
  if (tape) await runBackward(cache, tape, batch.graphs, padding);
}

function meter(run: PassRun): void {
  recordMemory(
    run.cache.metrics.memory,
    "activations",
    tensorBytes(run.env.values()),
  );
}

/** Runs each running graph's segment at cut position p (-1: before the forward pass). */
async function runSegmentsAt(run: PassRun, p: number): Promise<void> {
  const { graphs } = run.batch;
  // The tensors before this position's writes, then after them.
  if (p >= 0) mark(run, 2 * p);
  for (let i = 0; i < graphs.length; i++) {
    if (run.stopped[i]) continue;
    const graph = graphs[i]!;
    const entries = graph.segments.get(p);
    if (entries?.length) {
      try {
        await runSegment(
          run.cache,
          run.env,
          graph,
          entries,
          run.padding,
          run.record,
        );
      } catch (error) {
        // Only this graph's outputs were pending: the batch's tensors are unchanged.
        failGraph(graph.prepared, graph.g, error);
        run.stopped[i] = true;
      }
    }
    if (graph.stopAt === p) run.stopped[i] = true;
  }
  if (p >= 0) mark(run, 2 * p + 1);
}

/** Records, for the backward pass, the tensors whose gradient a `.grad` at this slot reads. */
function mark(run: PassRun, slot: number): void {
  const marked = run.batch.gradHooks.get(slot);
  if (!run.tape || !marked) return;
  const tensors = new Map<string, ort.Tensor>();
  for (const t of marked) {
    const value = run.env.get(t);
    if (value) tensors.set(t, value);
  }
  run.tape.push({ kind: "mark", slot, tensors });
}

/** Runs the model's piece [a, b) on the batch, with the module calls it computes for running graphs. */
async function runPiece(run: PassRun, a: number, b: number): Promise<void> {
  const { plan, cache, batch, env } = run;
  const clones = (batch.clones.get(a) ?? []).filter(
    (c) => !run.stopped[c.graph],
  );
  const extra = batch.extraOutputs.get(b) ?? [];
  const requests = cloneRequests(plan, clones);
  const key = pieceKey(a, b, extra, requests);
  let piece: Piece | undefined;
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
      feeds[name] = batch.graphs[c.graph]!.prepared.values.get(
        `v:${c.node.args[0]}`,
      )!;
    } else {
      const value = env.get(name);
      if (!value)
        throw new RunError(
          `internal: piece [${a}, ${b}) needs ${name}, which no earlier piece produced`,
        );
      feeds[name] = value;
    }
  }
  const out = await cache.run(session, "piece", feeds);
  run.record?.({ key, program: () => getPiece().program, feeds, outputs: out });
  const cloneOut = new Map<string, number>();
  requests.forEach((r, j) =>
    cloneOut.set(`${plan.spans.get(r.span)!.output}@${r.tag}`, j),
  );
  for (const [name, value] of Object.entries(out)) {
    const j = cloneOut.get(name);
    if (j === undefined) env.set(name, value);
    else {
      const c = clones[j]!;
      batch.graphs[c.graph]!.prepared.values.set(`v:${c.node.id}`, value);
    }
  }
}

/**
 * What the piece clones: one request per module call, fed by its own input
 * (`call<j>`), or by the clone that computes its argument (a chained call).
 */
function cloneRequests(
  plan: ModelPlan,
  clones: readonly PieceClone[],
): CloneRequest[] {
  return clones.map((c, j) => {
    const from = clones.findIndex(
      (d) => d.graph === c.graph && d.node.id === c.node.args[0],
    );
    return {
      span: c.span,
      input:
        from >= 0
          ? `${plan.spans.get(clones[from]!.span)!.output}@c${from}`
          : `call${j}`,
      tag: `c${j}`,
    };
  });
}
