/** The task queue of platform activities (events, bookkeeping); every worker polls it. */
export const PLATFORM_TASK_QUEUE = "loupe-platform";

/** The task queue of a model: polled only by workers that have it loaded. */
export function modelTaskQueue(model: string): string {
  return `loupe-model-${model}`;
}

/** The workflow id of a batch: one workflow per batch, ever. */
export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}
