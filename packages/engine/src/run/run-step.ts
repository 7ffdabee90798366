import type * as ort from "onnxruntime-node";
import type { ModelPlan } from "../model/model-plan.ts";
import { batchRows, modelInputs, type InvokeRows } from "./batch-inputs.ts";
import type { Padding, PreparedGraph } from "./batch-step.ts";
import { placeGraph } from "./place-graph.ts";
import { planBatch } from "./plan-batch.ts";
import { runPieces } from "./run-pieces.ts";
import type { SessionCache } from "./session-cache.ts";

/**
 * What a generation step changes in a forward pass: which of the trace's
 * nodes run (those of this step), the rows each invoke feeds (the sequence so
 * far, or with a key/value cache only the new token), and the model inputs the
 * cache adds (past keys and values, the mask over them, positions).
 */
export interface StepInputs {
  readonly step: number;
  /** Per graph (index g), per invoke: the token rows this step feeds. */
  readonly rows: ReadonlyMap<number, InvokeRows>;
  /** Model inputs that replace the ones made from the rows (by input name). */
  readonly feeds?: ReadonlyMap<string, ort.Tensor>;
}

/**
 * One forward pass of several graphs; returns every tensor the model
 * computed, by name. The pass is planned before anything runs: the batch's
 * rows, each graph's operations at cut positions (`placeGraph`), the cuts
 * and pieces (`planBatch`); then it runs (`runPieces`).
 */
export async function runStep(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly { prepared: PreparedGraph; g: number }[],
  t: number,
  options: { padding: Padding; padId: number },
  stepInputs?: StepInputs,
): Promise<Map<string, ort.Tensor>> {
  const { rows, windows } = batchRows(graphs, t, stepInputs?.rows);
  const placements = graphs.map(({ prepared, g }, i) =>
    placeGraph(plan, prepared, g, t, windows[i]!, stepInputs?.step),
  );
  const env = modelInputs(plan, rows, options, stepInputs?.feeds);
  const batch = planBatch(plan, placements);
  await runPieces(plan, cache, batch, env, options.padding);
  return env;
}
