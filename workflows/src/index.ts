export { probeWorkflow } from "./probe-workflow.ts";
export { PLATFORM_TASK_QUEUE } from "./task-queues.ts";
export type {
  PlatformActivities,
  ProbeInput,
  ProbeResult,
} from "./platform-activities.ts";
