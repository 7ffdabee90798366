import {
  finishRuns,
  postgresResultStorage,
  readStoredGraph,
  recordRunsStarted,
  recordRunTokens,
  StoredGraphError,
  type Database,
  type ResultStorage,
  type RunEnding,
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
  type ErrorCode,
} from "@loupe/graph";
import type {
  BatchActivities,
  BatchOutcome,
  BatchRequest,
  BatchRun,
} from "@loupe/workflows";
import { ApplicationFailure } from "@temporalio/activity";
import type { BatchSize } from "./fit-batch.ts";

/** A model this worker hosts: its engine (in a worker thread) and manifest. */
export interface HostedModel {
  readonly name: string;
  readonly manifest: Manifest;
  readonly engine: EngineThread;
}

/** What a graph adds to a batch: its first pass's rows and its longest row (bounds). */
export function sizeOf({ graph }: CheckedGraph): BatchSize {
  const bounds = inputTokenBounds(graph);
  return { rows: bounds.firstPassRows, longest: bounds.longestRow };
}

/**
 * Batches this worker runs, for its dispatcher: whether one began here, and
 * when it ended (the engine is then free for the next claim).
 */
export class LocalBatches {
  readonly #began = new Map<string, () => void>();
  readonly #ended = new Map<string, () => void>();
  readonly #waits = new Map<
    string,
    { began: Promise<void>; ended: Promise<void> }
  >();

  /** Promises for batch `batchId` beginning and ending in this process. */
  watch(batchId: string): { began: Promise<void>; ended: Promise<void> } {
    let wait = this.#waits.get(batchId);
    if (!wait) {
      wait = {
        began: new Promise((r) => this.#began.set(batchId, r)),
        ended: new Promise((r) => this.#ended.set(batchId, r)),
      };
      this.#waits.set(batchId, wait);
    }
    return wait;
  }

  began(batchId: string): void {
    this.#began.get(batchId)?.();
  }

  ended(batchId: string): void {
    this.#ended.get(batchId)?.();
    this.forget(batchId);
  }

  /** Stops watching a batch (one that ran in another worker ends nowhere here). */
  forget(batchId: string): void {
    this.#began.delete(batchId);
    this.#ended.delete(batchId);
    this.#waits.delete(batchId);
  }
}

/**
 * The batch activities of a hosted model (local activities of its batch
 * workflows): a claimed batch's runs are read by hash (each graph stored once
 * by the API), started in one transaction, run together on the engine (a
 * graph that fails, fails alone: see the engine's runMany), their saved
 * values stored as safetensors, content-addressed, and their endings and
 * quota settlements recorded in one transaction.
 */
export function createBatchActivities(deps: {
  db: Database;
  model: HostedModel;
  workerId: string;
  graphs: StoredGraphCache;
  local: LocalBatches;
  /** Where results are stored (default: PostgreSQL). */
  results?: ResultStorage;
  hooks?: BatchHooks;
}): BatchActivities {
  const { db, model, graphs } = deps;
  const storage = deps.results ?? postgresResultStorage(db);
  const hosted = model.manifest.model.hash ?? model.name;
  /** Result bytes moved since the last collection (see executeBatch). */
  let movedBytes = 0;

  return {
    async executeBatch(batch) {
      deps.local.began(batch.batchId);
      try {
        return await execute(batch);
      } finally {
        deps.local.ended(batch.batchId);
        // A batch that moved large results leaves that much garbage on the
        // main thread (the engine's tensors, the safetensors bytes). Collect
        // it now where the process allows (node --expose-gc, as the worker
        // runs), as unhosting does: an idle worker allocates nothing, so V8
        // would otherwise keep it, and the process's memory, until the next
        // batch.
        if (movedBytes >= LARGE_BATCH_BYTES) {
          movedBytes = 0;
          setImmediate(() => (globalThis as { gc?: () => void }).gc?.());
        }
      }
    },
    async failBatch({ batch, reason }) {
      await finishRuns(
        db,
        batch.runs.map((r) => ({
          runId: r.runId,
          outcome: { status: "failed", code: "BATCH_FAILED", reason },
        })),
      );
    },
  };

  async function execute(batch: BatchRequest): Promise<BatchOutcome> {
    if (batch.model !== model.name)
      throw ApplicationFailure.nonRetryable(
        `batch ${batch.batchId} is of model ${batch.model}, and this worker hosts ${model.name} on that queue`,
        "UNKNOWN_MODEL" satisfies ErrorCode,
      );
    // Runs that cannot run here end now, each with its own reason.
    const refused: RunEnding[] = [];
    const runnable: { run: BatchRun; graph: CheckedGraph }[] = [];
    for (const run of batch.runs) {
      if (run.modelHash !== hosted) {
        refused.push(
          failure(
            run.runId,
            "MODEL_CHANGED",
            `run ${run.runId} was checked against model ${model.name} with hash ${run.modelHash}, and this worker hosts ${hosted}: submit it again`,
          ),
        );
        continue;
      }
      try {
        runnable.push({
          run,
          graph: await graphs.read(run.graphHash, run.modelHash),
        });
      } catch (error) {
        if (!(error instanceof StoredGraphError)) throw error;
        refused.push(failure(run.runId, "GRAPH_UNAVAILABLE", error.message));
      }
    }
    if (refused.length > 0) await finishRuns(db, refused);
    const live = new Set(
      await recordRunsStarted(
        db,
        runnable.map((r) => r.run.runId),
        { workerId: deps.workerId, batchId: batch.batchId },
      ),
    );
    const items = runnable.filter((r) => live.has(r.run.runId));
    const skipped = batch.runs.length - refused.length - items.length;
    if (items.length === 0)
      return { completed: 0, failed: refused.length, skipped };
    await deps.hooks?.afterBatchStarted?.(batch.batchId);
    const runIds = items.map((i) => i.run.runId);
    const tokens = new TokenRecorder(db, runIds);
    const rows = items.map((i) => sizeOf(i.graph).rows);
    const batchRows = rows.reduce((a, b) => a + b, 0);
    const results = await model.engine
      .runMany(
        items.map((i, k) => ({ checked: i.graph, signal: tokens.ended(k) })),
        { onToken: (event) => tokens.add(event) },
      )
      .finally(() => tokens.flushed());
    const endings = await Promise.all(
      results.map(async (result, k): Promise<RunEnding> => {
        const runId = runIds[k]!;
        if (result.error)
          return failure(runId, "RUN_ERROR", result.error.message);
        const bytes = toSafetensors(result.saves, {
          run: runId,
          model: hosted,
        });
        movedBytes += bytes.byteLength;
        const stored = await storage.put(bytes);
        return {
          runId,
          outcome: {
            status: "completed",
            resultHash: stored.hash,
            resultBytes: stored.byteSize,
            metrics: {
              batchId: batch.batchId,
              forwardPasses: result.usage.forwardPasses,
              batchRows,
              runRows: rows[k]!,
              // The engine charges each pass's time by the graphs' token shares.
              computeSeconds: result.usage.computeSeconds,
              ...(result.warnings.length > 0
                ? { warnings: [...result.warnings] }
                : {}),
            },
          },
        };
      }),
    );
    const ended = await finishRuns(db, endings);
    const completed = ended.filter(
      (e) => e.appended && e.status === "completed",
    ).length;
    return {
      completed,
      failed:
        refused.length + ended.filter((e) => e.appended).length - completed,
      skipped: skipped + ended.filter((e) => !e.appended).length,
    };
  }
}

/** Result bytes after which a batch's garbage is collected at once. */
const LARGE_BATCH_BYTES = 64 * 2 ** 20;

/**
 * Observation points of a batch's life. Nothing in the worker sets them:
 * tests do, to act at a moment production code never waits for (the crash
 * test holds a batch after its `started` events to kill the worker in it).
 */
export interface BatchHooks {
  /** After a batch's runs are recorded started, before the engine runs them. */
  readonly afterBatchStarted?: (batchId: string) => Promise<void>;
}

function failure(runId: string, code: ErrorCode, reason: string): RunEnding {
  return { runId, outcome: { status: "failed", code, reason } };
}

/**
 * Checked graphs read from PostgreSQL by hash, the last few kept parsed: the
 * API checked each one against the model and stored it once; the worker
 * checks only that the bytes match the hash (readStoredGraph), never
 * validates them again, and parses a graph once however many runs share it.
 */
export class StoredGraphCache {
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
      this.db.sql,
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
 * A run found ended when its tokens are appended (cancelled through the API,
 * which records the cancel in the run's stream) has its generation stopped at
 * once. A failed append is logged and never fails the batch (the result holds
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
