import {
  postgresResultStorage,
  readStoredGraph,
  recordRunsStarted,
  recordRunTokens,
  StoredGraphError,
  type Database,
  type ResultStorage,
} from "@loupe/db";
import type { EngineThread, TokenEvent } from "@loupe/engine";
import {
  canonicalJson,
  checkedGraphFromStore,
  toSafetensors,
  inputTokenBounds,
  type CheckedGraph,
  type Graph,
  type Manifest,
  type ValueType,
} from "@loupe/graph";
import type {
  ModelActivities,
  RunExecution,
  RunRequest,
} from "@loupe/workflows";
import { ApplicationFailure, Context } from "@temporalio/activity";
import {
  ModelBatcher,
  type BatchOptions,
  type BatchSize,
} from "./model-batcher.ts";

/** A model this worker hosts: its engine (in a worker thread) and manifest. */
export interface HostedModel {
  readonly name: string;
  readonly manifest: Manifest;
  readonly engine: EngineThread;
}

/** What a graph adds to a batch: its first pass's rows and its longest row (bounds). */
function sizeOf({ graph }: CheckedGraph): BatchSize {
  const bounds = inputTokenBounds(graph);
  return { rows: bounds.firstPassRows, longest: bounds.longestRow };
}

/**
 * The model activity: reads a run's checked graph by hash (stored once by the
 * API), then hands it to the model's batcher, which runs it with other runs
 * in shared forward passes (a graph that fails, fails alone: see the engine's
 * runMany); stores its saved values as safetensors, content-addressed, and
 * returns the reference with the run's share of the batch's cost.
 */
export function createModelActivities(deps: {
  db: Database;
  model: HostedModel;
  workerId: string;
  /** How the model's batcher fills its passes (round-robin across users, up to these limits). */
  batch: BatchOptions;
  /** Where results are stored (default: PostgreSQL). */
  results?: ResultStorage;
  /** Crash tests only: hold each batch this long after its `started` events. */
  faultHoldBatchMs?: number;
}): ModelActivities {
  const { db, model } = deps;
  const storage = deps.results ?? postgresResultStorage(db);
  type Item = {
    request: RunRequest;
    /** The run's graph as the API checked it: the engine runs it without validating it again. */
    graph: CheckedGraph;
    rows: number;
    /** The activity's cancellation: stops the run's generation at its next step. */
    signal: AbortSignal;
  };
  const batcher = new ModelBatcher<Item, RunExecution>(async (items, info) => {
    // The batch's bookkeeping in one transaction, not one per run.
    await recordRunsStarted(
      db,
      items.map((i) => i.request.runId),
      { workerId: deps.workerId, batchId: info.batchId },
    );
    if (deps.faultHoldBatchMs)
      await new Promise((r) => setTimeout(r, deps.faultHoldBatchMs));
    const tokens = new TokenRecorder(
      db,
      items.map((i) => i.request.runId),
    );
    const results = await model.engine
      .runMany(
        items.map((i, k) => ({
          checked: i.graph,
          signal: AbortSignal.any([i.signal, tokens.ended(k)]),
        })),
        { onToken: (event) => tokens.add(event) },
      )
      .finally(() => tokens.flushed());
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

  const graphs = new StoredGraphCache(db);
  return {
    async executeRun(request) {
      const hosted = model.manifest.model.hash ?? model.name;
      if (request.modelHash !== hosted)
        throw ApplicationFailure.nonRetryable(
          `run ${request.runId} was checked against model ${model.name} with hash ${request.modelHash}, and this worker hosts ${hosted}: submit it again`,
          "ModelChanged",
        );
      let graph: CheckedGraph;
      try {
        graph = await graphs.read(request.graphHash, request.modelHash);
      } catch (error) {
        if (error instanceof StoredGraphError)
          throw ApplicationFailure.nonRetryable(
            error.message,
            "GraphUnavailable",
          );
        throw error;
      }
      // Heartbeat while waiting for (and running in) the batch: a worker that
      // dies stops heartbeating, and Temporal retries the run elsewhere. A
      // cancel arrives through the heartbeats and takes a waiting run out.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 2000);
      try {
        const size = sizeOf(graph);
        return await batcher.submit(
          {
            request,
            graph,
            rows: size.rows,
            signal: context.cancellationSignal,
          },
          // Passes are filled round-robin across the runs' users.
          { ...size, user: request.userId },
          context.cancellationSignal,
        );
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/**
 * Checked graphs read from PostgreSQL by hash, the last few kept parsed: the
 * API checked each one against the model and stored it once; the worker
 * checks only that the bytes match the hash (readStoredGraph), never
 * validates them again, and parses a graph once however many runs share it.
 */
class StoredGraphCache {
  readonly #parsed = new Map<string, CheckedGraph>();
  constructor(
    private readonly db: Database,
    private readonly capacity = 256,
  ) {}

  async read(graphHash: string, modelHash: string): Promise<CheckedGraph> {
    const key = `${graphHash} ${modelHash}`;
    const hit = this.#parsed.get(key);
    if (hit) {
      this.#parsed.delete(key);
      this.#parsed.set(key, hit);
      return hit;
    }
    const stored = await readStoredGraph(
      this.db,
      graphHash,
      modelHash,
      canonicalJson,
    );
    // Hash-verified bytes the API parsed and checked, with the types its
    // check inferred: decoding is all that is left.
    const graph = checkedGraphFromStore({
      graph: JSON.parse(stored.json) as Graph,
      types: stored.types as Record<string, ValueType | null>,
      hash: graphHash,
      modelHash,
    });
    this.#parsed.set(key, graph);
    if (this.#parsed.size > this.capacity)
      this.#parsed.delete(this.#parsed.keys().next().value!);
    return graph;
  }
}

/**
 * Streams a batch's generated tokens to each run's event stream as they come
 * (`run.tokens`, which wakes the runs' status long polls): the tokens of one
 * run that arrive together (a step's) become one event, appended in order.
 * A run found ended when its tokens are appended (cancelled through the API)
 * has its generation stopped at once: Temporal delivers an activity's cancel
 * only with a heartbeat, which its SDK throttles to seconds. A failed append is logged and never fails the batch (the result holds
 * every token either way).
 */
class TokenRecorder {
  readonly #pending = new Map<number, TokenEvent[]>();
  readonly #ended = new Map<number, AbortController>();
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;

  constructor(
    private readonly db: Database,
    private readonly runIds: readonly string[],
  ) {}

  /** Aborted once graph `graph`'s run is found ended. */
  ended(graph: number): AbortSignal {
    return this.#controller(graph).signal;
  }

  #controller(graph: number): AbortController {
    let controller = this.#ended.get(graph);
    if (!controller) {
      controller = new AbortController();
      this.#ended.set(graph, controller);
    }
    return controller;
  }

  add(event: TokenEvent): void {
    const list = this.#pending.get(event.graph) ?? [];
    list.push(event);
    this.#pending.set(event.graph, list);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#chain = this.#chain.then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [graph, events] of batches) {
      const recorded = await recordRunTokens(
        this.db,
        this.runIds[graph]!,
        events.map((e) => ({
          trace: e.trace,
          invoke: e.invoke,
          row: e.row,
          step: e.step,
          id: e.id,
          text: e.text ?? null,
        })),
      ).catch((error: unknown) => {
        console.warn(
          `recording the tokens of run ${this.runIds[graph]} failed: ${(error as Error).message}`,
        );
        return true;
      });
      if (!recorded) this.#controller(graph).abort();
    }
  }

  /** Resolves once every token received so far is recorded. */
  async flushed(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.#chain;
    if (this.#pending.size > 0) await this.#flush();
  }
}
