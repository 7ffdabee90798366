/**
 * The activities a batch workflow calls, as types only. They are local
 * activities of the worker that runs the batch's workflow task: a worker
 * hosting the model (the workflow runs on the model's task queue), so a batch
 * costs one workflow task, not a round trip through Temporal per step.
 */
export interface BatchActivities {
  /**
   * Runs a claimed batch on this worker's engine and records every run's
   * start and ending (one transaction each for the whole batch). A run that
   * ended already (cancelled, or finished by an earlier attempt) is skipped,
   * so a retry after a worker crash records each fact once.
   */
  executeBatch(batch: BatchRequest): Promise<BatchOutcome>;
  /** Ends the batch's unfinished runs as failed (the batch could not run: `reason`). */
  failBatch(input: { batch: BatchRequest; reason: string }): Promise<void>;
}

/**
 * What a batch runs: runs a worker claimed together (claimRuns), by reference.
 * Each run's graph is stored once, in PostgreSQL (graphs), never in Temporal's
 * history: the worker reads it by hash, checks its bytes against the hash,
 * and runs it with the types the API's check stored.
 */
export interface BatchRequest {
  readonly batchId: string;
  readonly model: string;
  readonly runs: readonly BatchRun[];
}

export interface BatchRun {
  readonly runId: string;
  readonly userId: string;
  /** The model's hash the API checked the graph against. */
  readonly modelHash: string;
  readonly graphHash: string;
}

/** How a batch's runs ended, by count (each run's facts are in its stream). */
export interface BatchOutcome {
  readonly completed: number;
  readonly failed: number;
  /** Runs that had ended before the batch ran them (cancelled, or a retry). */
  readonly skipped: number;
}
