import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
} from "@temporalio/workflow";
import type {
  ModelActivities,
  RunActivities,
  RunOutcome,
  RunRequest,
} from "./run-activities.ts";
import { modelTaskQueue } from "./task-queues.ts";

/**
 * Errors that a retry cannot fix: the graph failed on its own (alone in its
 * pass: the engine never lets a graph's failure fail its batch), its stored
 * graph is gone, or the model changed under it.
 */
const NON_RETRYABLE = [
  "GraphValidationError",
  "RunError",
  "GraphUnavailable",
  "ModelChanged",
  "UnknownModel",
];

/**
 * A run, after the API has recorded its request and reserved its quota:
 * queued, executed on a worker hosting the model (where it is batched with
 * other runs of that model into shared forward passes), then ended (completed,
 * failed or cancelled) with its quota settled. Every effect is an idempotent
 * activity, so retries after a worker crash record each event exactly once.
 *
 * The platform activities (short, idempotent PostgreSQL transactions) are
 * local activities: they run in the worker that runs this workflow (which
 * polls the platform queue and registers them), within its workflow task,
 * instead of going through the Temporal server as tasks of their own. That
 * halves the server round trips of a run; measured in BENCHMARKS.md ("Where
 * the CPU goes"), the orchestration, not the forward pass, bounds a small
 * run's throughput.
 *
 * Cancelling the workflow cancels the model activity (delivered through its
 * heartbeats: a run still waiting for its batch leaves it) and ends the run as
 * cancelled, unless it had already ended.
 */
export async function runWorkflow(request: RunRequest): Promise<RunOutcome> {
  const platform = proxyLocalActivities<RunActivities>({
    startToCloseTimeout: "30 seconds",
    retry: { maximumAttempts: 20 },
  });
  const model = proxyActivities<ModelActivities>({
    taskQueue: modelTaskQueue(request.model),
    // A crashed worker stops heartbeating: the run is retried on another one.
    heartbeatTimeout: "20 seconds",
    startToCloseTimeout: "10 minutes",
    retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const { runId } = request;
  try {
    await platform.recordRunQueued({ runId });
    const execution = await model.executeRun(request);
    const ended = await platform.recordRunCompleted({ runId, ...execution });
    if (ended.status === "completed")
      return { status: "completed", ...execution };
    return ended.status === "cancelled"
      ? { status: "cancelled" }
      : {
          status: "failed",
          code: "QUOTA_EXCEEDED",
          reason: "the result exceeds the result-bytes quota",
        };
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        platform.recordRunCancelled({ runId, by: "system" }),
      );
      return { status: "cancelled" };
    }
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const code =
      cause instanceof ApplicationFailure
        ? (cause.type ?? "RUN_FAILED")
        : "RUN_FAILED";
    const reason = cause instanceof Error ? cause.message : String(cause);
    await platform.recordRunFailed({ runId, code, reason });
    return { status: "failed", code, reason };
  }
}
