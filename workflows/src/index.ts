export { probeWorkflow } from "./probe-workflow.ts";
export { runWorkflow } from "./run-workflow.ts";
export { PLATFORM_TASK_QUEUE, modelTaskQueue } from "./task-queues.ts";
export type {
  PlatformActivities,
  ProbeInput,
  ProbeResult,
} from "./platform-activities.ts";
export type {
  ModelActivities,
  RunActivities,
  RunCompletion,
  RunExecution,
  RunOutcome,
  RunRequest,
} from "./run-activities.ts";
