export { createDatabase, type Database } from "./create-database.ts";
export {
  appendEvent,
  StreamVersionConflictError,
  type NewEvent,
  type StoredEvent,
} from "./append-event.ts";
export { listRecentEvents } from "./list-recent-events.ts";
export {
  recordWorkerHeartbeat,
  removeWorkerHeartbeat,
  listWorkerStatuses,
  type WorkerReport,
  type WorkerStatus,
} from "./worker-heartbeats.ts";
export { removeDeadWorkers } from "./remove-dead-workers.ts";
