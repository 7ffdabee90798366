/**
 * The activities a run workflow calls, as types only. Platform activities
 * record the run's events (every worker polls the platform queue); the model
 * activity executes on a worker that has the model loaded (its own task queue).
 */
export interface RunActivities {
  /** Appends `run.queued`, once (a retry finds it there). */
  recordRunQueued(input: { runId: string }): Promise<void>;
  /**
   * Ends the run with `run.completed` and settles its quota, together and
   * once; returns how it ended (failed when the result would exceed the
   * result-bytes quota; an earlier ending, such as a cancel, wins).
   */
  recordRunCompleted(input: RunCompletion): Promise<{ status: string }>;
  /** Ends the run with `run.failed` (a code and reason) and settles its quota, once. */
  recordRunFailed(input: {
    runId: string;
    code: string;
    reason: string;
  }): Promise<void>;
  /** Ends the run with `run.cancelled` and releases its reservation, once. */
  recordRunCancelled(input: { runId: string; by: string }): Promise<void>;
}

/** Executes a run's graph, batched with other runs of the same model on that worker. */
export interface ModelActivities {
  executeRun(input: RunRequest): Promise<RunExecution>;
}

/**
 * What a run executes: a checked graph on a model, by reference. The graph
 * itself is stored once, in PostgreSQL (graphs), never in Temporal's history:
 * the worker reads it by hash, checks its bytes against the hash, and runs it
 * with the types the API's check stored (it never validates it again).
 */
export interface RunRequest {
  readonly runId: string;
  readonly userId: string;
  readonly model: string;
  /** The model's hash the API checked the graph against. */
  readonly modelHash: string;
  readonly graphHash: string;
}

/** Where a run's result is stored and what its forward pass cost. */
export interface RunExecution {
  readonly resultHash: string;
  readonly resultBytes: number;
  readonly metrics: {
    /** The batch this run shared its forward passes with. */
    readonly batchId: string;
    readonly forwardPasses: number;
    /** Rows of the batch (all runs), and this run's share of them. */
    readonly batchRows: number;
    readonly runRows: number;
    /** Compute time charged to this run: its share of each pass's rows and tokens. */
    readonly computeSeconds: number;
  };
}

export interface RunCompletion extends RunExecution {
  readonly runId: string;
}

/** The outcome a run workflow returns. */
export type RunOutcome =
  | ({ readonly status: "completed" } & RunExecution)
  | {
      readonly status: "failed";
      readonly code: string;
      readonly reason: string;
    }
  | { readonly status: "cancelled" };
