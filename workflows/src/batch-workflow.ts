import type { ErrorCode } from "@loupe/graph";
import { proxyLocalActivities } from "@temporalio/workflow";
import type {
  BatchActivities,
  BatchOutcome,
  BatchRequest,
} from "./batch-activities.ts";

/**
 * The failure types that end a batch's activity without a retry: Loupe's
 * error codes (the registry in @loupe/graph), as the worker raises them. Only
 * a type import of the registry: a workflow bundle holds no more than it
 * runs.
 */
const BATCH_NON_RETRYABLE = [
  "UNKNOWN_MODEL",
] as const satisfies readonly ErrorCode[];

/**
 * A batch: runs of one model that a worker hosting it claimed together from
 * PostgreSQL (fairly across users), run in shared forward passes. One
 * workflow per batch, not per run: Temporal's cost (a start, a workflow task,
 * its history) is paid once for the batch's runs. Measured against one
 * workflow per run in docs/DESIGN.md ("Runs and batches").
 *
 * The workflow runs on the model's task queue, so its workflow task goes to
 * a worker hosting the model, and the batch executes there as a local
 * activity (no activity task through the server). A worker that dies while
 * it runs stops answering its workflow task: Temporal hands the task to
 * another worker hosting the model, which runs the batch again (its runs'
 * recorded facts are kept; ended runs are skipped). After its attempts, the
 * batch's unfinished runs fail with the reason.
 */
export async function batchWorkflow(
  batch: BatchRequest,
): Promise<BatchOutcome> {
  const { executeBatch } = proxyLocalActivities<BatchActivities>({
    startToCloseTimeout: "10 minutes",
    retry: {
      maximumAttempts: 3,
      nonRetryableErrorTypes: [...BATCH_NON_RETRYABLE],
    },
  });
  const { failBatch } = proxyLocalActivities<BatchActivities>({
    startToCloseTimeout: "30 seconds",
    retry: { maximumAttempts: 20 },
  });
  try {
    return await executeBatch(batch);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    await failBatch({ batch, reason });
    return { completed: 0, failed: batch.runs.length, skipped: 0 };
  }
}
