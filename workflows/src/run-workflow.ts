import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
} from "@temporalio/workflow";
import type {
  ModelActivities,
  RunActivities,
  RunOutcome,
  RunRequest,
} from "./run-activities.ts";
import { modelTaskQueue, PLATFORM_TASK_QUEUE } from "./task-queues.ts";

/** Errors that a retry cannot fix: the graph itself is wrong for the model. */
const NON_RETRYABLE = [
  "GraphValidationError",
  "RunError",
  "GraphFormatError",
  "UnknownModel",
];

/**
 * A run: queued, executed on a worker hosting the model (where it is batched
 * with other runs of that model into shared forward passes), then completed or
 * failed. Every effect is an idempotent activity, so retries after a worker
 * crash record each event exactly once.
 */
export async function runWorkflow(request: RunRequest): Promise<RunOutcome> {
  const platform = proxyActivities<RunActivities>({
    taskQueue: request.platformTaskQueue ?? PLATFORM_TASK_QUEUE,
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
  await platform.recordRunQueued({ runId: request.runId });
  try {
    const execution = await model.executeRun(request);
    await platform.recordRunCompleted({ runId: request.runId, ...execution });
    return { status: "completed", ...execution };
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const code =
      cause instanceof ApplicationFailure
        ? (cause.type ?? "RUN_FAILED")
        : "RUN_FAILED";
    const reason = cause instanceof Error ? cause.message : String(cause);
    await platform.recordRunFailed({ runId: request.runId, code, reason });
    return { status: "failed", code, reason };
  }
}
