export { probeWorkflow } from "./probe-workflow.ts";
export { batchWorkflow } from "./batch-workflow.ts";
export {
  PLATFORM_TASK_QUEUE,
  batchWorkflowId,
  modelTaskQueue,
} from "./task-queues.ts";
export type {
  PlatformActivities,
  ProbeInput,
  ProbeResult,
} from "./platform-activities.ts";
export type {
  BatchActivities,
  BatchOutcome,
  BatchRequest,
  BatchRun,
} from "./batch-activities.ts";
