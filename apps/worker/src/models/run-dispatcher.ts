import { randomUUID } from "node:crypto";
import {
  claimRuns,
  findStalledBatches,
  type Database,
  type RunRequestListener,
} from "@loupe/db";
import {
  batchWorkflowId,
  modelTaskQueue,
  type BatchRequest,
  type batchWorkflow,
} from "@loupe/workflows";
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
} from "@temporalio/client";
import type { LocalBatches, StoredGraphCache } from "./batch-activities.ts";
import { sizeOf } from "./batch-activities.ts";
import { fitBatch, type BatchOptions } from "./fit-batch.ts";

/** How long starting a batch's workflow may take before it is tried again. */
export const BATCH_START_DEADLINE_MS = 2_000;

export interface DispatcherOptions {
  readonly batch: BatchOptions;
  /** How often the sweeper looks for batches claimed but never started (default 60 s). */
  readonly sweepEveryMs?: number;
  /** A claimed batch counts as stalled when queued this long with no workflow (default 60 s). */
  readonly stalledAfterMs?: number;
  /**
   * Tests only: claim only once this holds for the number of the model's runs
   * requested (asked at each wake), so that runs submitted over time share a
   * batch without timing. Unset (production): claim whenever the engine is free.
   */
  readonly claimWhen?: (requested: number) => boolean;
  /** Tests only: told of each batch as its workflow starts. */
  readonly onBatch?: (batch: BatchRequest) => void;
}

/**
 * Feeds a hosted model's engine: whenever the engine is free, it claims the
 * model's requested runs from PostgreSQL (fairly across users, up to a
 * batch's rows and padded tokens: claimRuns, fitBatch) and starts one batch
 * workflow for them, then waits for the batch to end before claiming again.
 * So a run that arrives at an idle engine starts at once, runs that arrive
 * while a batch runs form the next one, and no window holds anything back.
 *
 * Runs are woken for by the request's notification (RunRequestListener), not
 * polled for; a sweeper, at start and every minute, starts the workflows of
 * batches claimed by a worker that died before starting them. Starting a
 * workflow has a deadline: while Temporal does not answer, the claimed
 * batch's start is tried again each second, its runs stay queued, and new
 * runs wait in PostgreSQL (nothing is lost or charged twice).
 */
export class RunDispatcher {
  readonly #stopped = new AbortController();
  /** Resolves once stop() is called. */
  readonly #stoppedPromise = new Promise<void>((resolve) =>
    this.#stopped.signal.addEventListener("abort", () => resolve(), {
      once: true,
    }),
  );
  #wake: () => void = () => undefined;
  #woken = true;
  #loop: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly client: Client;
      readonly listener: RunRequestListener;
      readonly model: string;
      readonly workerId: string;
      readonly graphs: StoredGraphCache;
      readonly local: LocalBatches;
      /**
       * Start each batch's workflow eagerly: only with a client on the
       * NativeConnection of the worker that polls the model's queue (as
       * ModelHost builds it); Temporal refuses it on any other connection.
       */
      readonly eagerStart?: boolean;
      readonly log: (line: string) => void;
    },
    private readonly options: DispatcherOptions,
  ) {}

  async start(): Promise<void> {
    this.#unsubscribe = await this.deps.listener.subscribe(
      this.deps.model,
      () => this.#notify(),
    );
    this.#loop = this.#run();
    const every = this.options.sweepEveryMs ?? 60_000;
    void this.#sweep();
    this.#sweeper = setInterval(() => void this.#sweep(), every);
    this.#sweeper.unref();
  }

  /** Stops claiming; resolves once the batch in flight (if any) has ended. */
  async stop(): Promise<void> {
    this.#stopped.abort();
    this.#unsubscribe?.();
    clearInterval(this.#sweeper);
    this.#notify();
    await this.#loop;
  }

  #notify(): void {
    this.#woken = true;
    this.#wake();
  }

  async #run(): Promise<void> {
    const signal = this.#stopped.signal;
    while (!signal.aborted) {
      if (!this.#woken)
        await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#woken = false;
      if (signal.aborted) return;
      try {
        // Claim until nothing is left: runs that arrived during a batch are
        // claimed as soon as it ends, with or without a notification.
        while (!signal.aborted) {
          const batch = await this.#claim();
          if (!batch) break;
          await this.#startAndWait(batch);
        }
      } catch (error) {
        this.deps.log(
          `[worker] claiming runs of model ${this.deps.model} failed: ${(error as Error).message}; trying again in 1 s`,
        );
        await sleep(1000, signal);
        this.#woken = true;
      }
    }
  }

  async #claim(): Promise<BatchRequest | null> {
    const { db, model, graphs } = this.deps;
    if (this.options.claimWhen) {
      const requested = await db.run.count({
        where: { model, status: "requested" },
      });
      if (!this.options.claimWhen(requested)) return null;
    }
    const batchId = randomUUID();
    const runs = await claimRuns(db, {
      model,
      batchId,
      workerId: this.deps.workerId,
      limit: this.options.batch.maxRows,
      fit: async (candidates) => {
        // Sized from their checked graphs (cached, parsed once per hash); a
        // graph that cannot be read is claimed all the same, and fails in
        // the batch with its reason.
        const sized = await Promise.all(
          candidates.map(async (run) => {
            try {
              return {
                run,
                ...sizeOf(await graphs.read(run.graphHash, run.modelHash)),
              };
            } catch {
              return { run, rows: 1, longest: 1 };
            }
          }),
        );
        return fitBatch(sized, this.options.batch).map((s) => s.run);
      },
    });
    if (runs.length === 0) return null;
    return { batchId, model, runs };
  }

  /** Starts the batch's workflow (again each second until Temporal answers), then waits for its end. */
  async #startAndWait(batch: BatchRequest): Promise<void> {
    const { client, local } = this.deps;
    const watch = local.watch(batch.batchId);
    try {
      if (!(await this.#start(batch))) return;
      this.options.onBatch?.(batch);
      // The batch almost always runs here (this worker polls the model's
      // queue); if it has not begun here within seconds, another worker took
      // it, and its workflow's result says when it ended.
      let timer: NodeJS.Timeout | undefined;
      const beganHere = await Promise.race([
        watch.began.then(() => true),
        new Promise<false>((r) => (timer = setTimeout(() => r(false), 3000))),
      ]);
      clearTimeout(timer);
      if (beganHere) await watch.ended;
      else
        await Promise.race([
          watch.ended,
          client.workflow
            .getHandle(batchWorkflowId(batch.batchId))
            .result()
            .catch(() => undefined),
          // Stopping does not wait for a batch that runs elsewhere (or nowhere yet).
          this.#stoppedPromise,
        ]);
    } finally {
      local.forget(batch.batchId);
    }
  }

  /**
   * Starts a batch's workflow: one per batch, ever (its id is the batch's), so
   * a workflow that exists is success. Eagerly, on this worker, where the
   * client allows (see deps.eagerStart): the server hands the first workflow
   * task back in its answer, not through its matching service, a third less
   * of Temporal's CPU per batch (docs/DESIGN.md); without a free slot here, it
   * is queued. False when the workflow existed already.
   */
  async #startWorkflow(batch: BatchRequest, eager: boolean): Promise<boolean> {
    const { client } = this.deps;
    try {
      await client.withDeadline(Date.now() + BATCH_START_DEADLINE_MS, () =>
        client.workflow.start<typeof batchWorkflow>("batchWorkflow", {
          taskQueue: modelTaskQueue(batch.model),
          workflowId: batchWorkflowId(batch.batchId),
          args: [batch],
          requestEagerStart: eager && (this.deps.eagerStart ?? false),
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return false;
    }
  }

  async #start(batch: BatchRequest): Promise<boolean> {
    const signal = this.#stopped.signal;
    for (;;) {
      try {
        await this.#startWorkflow(batch, true);
        return true;
      } catch (error) {
        this.deps.log(
          `[worker] batch ${batch.batchId} (${batch.runs.length} runs of ${batch.model}) is claimed, but its workflow did not start (${(error as Error).message}); trying again in 1 s`,
        );
        // Stopping leaves the batch claimed: the sweeper of any worker
        // hosting the model starts it.
        if (signal.aborted) return false;
        await sleep(1000, signal);
      }
    }
  }

  /** Starts the workflows of batches claimed long ago and never started (a worker died in between). */
  async #sweep(): Promise<void> {
    const { db, model, log } = this.deps;
    const olderThan = new Date(
      Date.now() - (this.options.stalledAfterMs ?? 60_000),
    );
    try {
      for (const stalled of await findStalledBatches(db, model, olderThan)) {
        // Not eagerly: whichever worker hosting the model is free takes it.
        if (await this.#startWorkflow(stalled, false))
          log(
            `[worker] started stalled batch ${stalled.batchId} (${stalled.runs.length} runs of ${model})`,
          );
      }
    } catch (error) {
      log(
        `[worker] sweeping the stalled batches of model ${model} failed: ${(error as Error).message}; the next sweep tries again`,
      );
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
