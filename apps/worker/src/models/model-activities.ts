import {
  domainEvents,
  postgresResultStorage,
  recordRunStep,
  streams,
  type Database,
  type ResultStorage,
} from "@loupe/db";
import type { EngineThread } from "@loupe/engine";
import {
  GraphFormatError,
  toSafetensors,
  inputTokenBounds,
  parseGraphOrThrow,
  validateGraph,
  type Graph,
  type Manifest,
} from "@loupe/graph";
import type {
  ModelActivities,
  RunExecution,
  RunRequest,
} from "@loupe/workflows";
import { ApplicationFailure, Context } from "@temporalio/activity";
import { ModelBatcher, type BatchSize } from "./model-batcher.ts";

/** A model this worker hosts: its engine (in a worker thread) and manifest. */
export interface HostedModel {
  readonly name: string;
  readonly manifest: Manifest;
  readonly engine: EngineThread;
}

/** What a graph adds to a batch: its first pass's rows and its longest row (bounds). */
function sizeOf(graph: Graph): BatchSize {
  const bounds = inputTokenBounds(graph);
  return { rows: bounds.firstPassRows, longest: bounds.longestRow };
}

/**
 * The model activity: validates a run's graph on its own (a bad graph fails
 * only its run, never a batch), then hands it to the model's batcher, which runs
 * it with other runs in shared forward passes; stores its saved values as
 * safetensors, content-addressed, and returns the reference with the run's
 * share of the batch's cost.
 */
export function createModelActivities(deps: {
  db: Database;
  model: HostedModel;
  workerId: string;
  batch: {
    quietMs: number;
    maxWaitMs: number;
    maxRows: number;
    maxPaddedTokens?: number;
  };
  /** Where results are stored (default: PostgreSQL). */
  results?: ResultStorage;
  /** Crash tests only: hold each batch this long after its `started` events. */
  faultHoldBatchMs?: number;
}): ModelActivities {
  const { db, model } = deps;
  const storage = deps.results ?? postgresResultStorage(db);
  type Item = { request: RunRequest; graph: Graph; rows: number };
  const batcher = new ModelBatcher<Item, RunExecution>(async (items, info) => {
    await Promise.all(
      items.map((item) =>
        recordRunStep(
          db,
          domainEvents.event(streams.run(item.request.runId), "run.started", {
            runId: item.request.runId,
            workerId: deps.workerId,
            batchId: info.batchId,
          }),
        ),
      ),
    );
    if (deps.faultHoldBatchMs)
      await new Promise((r) => setTimeout(r, deps.faultHoldBatchMs));
    const results = await model.engine.runMany(
      items.map((i) => ({ graph: i.graph })),
    );
    return Promise.all(
      results.map(async (result, k): Promise<RunExecution | Error> => {
        if (result.error)
          return ApplicationFailure.nonRetryable(
            result.error.message,
            "RunError",
          );
        const bytes = toSafetensors(result.saves, {
          run: items[k]!.request.runId,
          model: model.manifest.model.hash ?? model.name,
        });
        const stored = await storage.put(bytes);
        const { usage } = result;
        return {
          resultHash: stored.hash,
          resultBytes: stored.byteSize,
          metrics: {
            batchId: info.batchId,
            forwardPasses: usage.forwardPasses,
            batchRows: info.batchRows,
            runRows: items[k]!.rows,
            // The engine charges each pass's time by the graphs' token shares.
            computeSeconds: usage.computeSeconds,
          },
        };
      }),
    );
  }, deps.batch);

  return {
    async executeRun(request) {
      let graph: Graph;
      try {
        graph = parseGraphOrThrow(request.graph);
      } catch (error) {
        if (error instanceof GraphFormatError)
          throw ApplicationFailure.nonRetryable(
            error.message,
            "GraphFormatError",
          );
        throw error;
      }
      const validation = validateGraph(graph, model.manifest);
      if (!validation.ok)
        throw ApplicationFailure.nonRetryable(
          `invalid graph:\n${validation.issues.map((i) => `  ${i.message}`).join("\n")}`,
          "GraphValidationError",
        );
      // Heartbeat while waiting for (and running in) the batch: a worker that
      // dies stops heartbeating, and Temporal retries the run elsewhere. A
      // cancel arrives through the heartbeats and takes a waiting run out.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 2000);
      try {
        const size = sizeOf(graph);
        return await batcher.submit(
          { request, graph, rows: size.rows },
          size,
          context.cancellationSignal,
        );
      } finally {
        clearInterval(beat);
      }
    },
  };
}
