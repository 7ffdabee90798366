export { createDatabase, type Database } from "./create-database.ts";
export {
  PgRawSql,
  sqlTransaction,
  type RawTransaction,
} from "./sql-transaction.ts";
export {
  appendEvent,
  appendEvents,
  appendInTransaction,
  VersionConflictError,
  EVENTS_CHANNEL,
  type NewEvent,
  type StoredEvent,
  type StreamAppend,
  type Transaction,
} from "./events/append-events.ts";
export { readStream } from "./events/read-stream.ts";
export { listRecentEvents } from "./events/list-recent-events.ts";
export {
  defineEvent,
  EventCatalog,
  EventPayloadError,
  type EventDefinition,
  type ParsedEvent,
} from "./events/event-catalog.ts";
export { StreamWaiter, type StreamWatch } from "./events/stream-waiter.ts";
export {
  recordWorkerHeartbeat,
  removeWorkerHeartbeat,
  listWorkerStatuses,
  workerMemorySchema,
  type WorkerMemory,
  type WorkerReport,
  type WorkerStatus,
} from "./worker-heartbeats.ts";
export { removeDeadWorkers } from "./remove-dead-workers.ts";
export {
  putResult,
  findResult,
  readResultChunks,
  resultHash,
  RESULT_CHUNK_BYTES,
  type StoredResult,
} from "./results/result-store.ts";
export {
  createResultStorage,
  postgresResultStorage,
  resultStorageSettings,
  RESULT_STORE_VARIABLES,
  type ResultStorage,
  type ResultStorageSettings,
} from "./results/result-storage.ts";
export {
  S3ResultStorage,
  type S3Settings,
} from "./results/s3-result-storage.ts";
export {
  domainEvents,
  EXPERIMENT_TAG,
  modelSource,
  streams,
  type DomainEvent,
  type ModelSource,
} from "./domain/domain-events.ts";
export { projectDomainEvents } from "./domain/project-domain-events.ts";
export {
  rebuildDomainProjections,
  READ_MODEL_TABLES,
} from "./domain/rebuild-domain-projections.ts";
export { appendDomainEvents } from "./domain/append-domain-events.ts";
export {
  requestRun,
  findRequestedRun,
  quotaStanding,
  type QuotaStanding,
  type RequestedRun,
  type RunRequestFacts,
} from "./runs/request-run.ts";
export {
  storeRunSources,
  findRunSources,
  type RunSources,
} from "./runs/run-sources.ts";
export {
  storeGraph,
  readStoredGraph,
  StoredGraphError,
  type StoredGraph,
} from "./runs/graphs.ts";
export {
  DEFAULT_RUN_LIMITS,
  RUN_LIMIT_NAMES,
  RunLimitError,
  runLimitsOf,
  type RunLimitName,
  type RunLimits,
} from "./runs/run-limits.ts";
export {
  claimRuns,
  findStalledBatches,
  RUNS_REQUESTED_CHANNEL,
  type ClaimableRun,
  type ClaimedBatch,
} from "./runs/claim-runs.ts";
export { RunRequestListener } from "./runs/run-request-listener.ts";
export {
  finishRun,
  finishRuns,
  recordRunStep,
  recordRunsStarted,
  recordRunTokens,
  TERMINAL_RUN_EVENTS,
  type RunEnding,
  type RunMetrics,
  type RunOutcomeFacts,
} from "./runs/finish-run.ts";
export {
  findReusableRun,
  serveCachedRun,
  type ReusableRun,
} from "./runs/serve-cached-run.ts";
export { queuePosition } from "./runs/queue-position.ts";
export { findRun } from "./runs/find-run.ts";
export {
  QuotaExceededError,
  type QuotaName,
} from "./runs/quota-exceeded-error.ts";
export { utcDay } from "./runs/utc-day.ts";
export {
  registerModel,
  type ModelRegistration,
} from "./models/register-model.ts";
export { requestModelHosting } from "./models/request-model-hosting.ts";
export { unhostModel } from "./models/unhost-model.ts";
export {
  fetchS3ModelFolder,
  ModelFetchError,
  s3ConnectionSettings,
  type S3Connection,
} from "./models/fetch-s3-model-folder.ts";
export {
  recordModelHosting,
  type ModelHostingReport,
} from "./models/record-model-hosting.ts";
export {
  findModelHosting,
  listModelHosting,
  toModelHostingStatus,
  type ModelHostingStatus,
} from "./models/find-model-hosting.ts";
export {
  ModelAlreadyHostedError,
  ModelUnavailableError,
} from "./models/model-hosting-errors.ts";
export {
  MODEL_HOSTING_STATES,
  type ModelHostingState,
} from "./domain/projections/model-hosting.ts";
export {
  commitExperimentVersion,
  type VersionToCommit,
} from "./experiments/commit-version.ts";
export {
  explainGalleryPage,
  GALLERY_SORTS,
  gallerySql,
  queryGalleryPage,
  type GalleryPage,
  type GalleryQuery,
  type GalleryRow,
  type GallerySort,
} from "./experiments/gallery-page.ts";
export {
  findExperiment,
  getExperimentOrThrow,
} from "./experiments/find-experiment.ts";
export { findExperimentVersion } from "./experiments/find-experiment-version.ts";
export { findOwnerName } from "./experiments/find-owner-name.ts";
export { isExperimentStarred } from "./experiments/is-experiment-starred.ts";
export {
  listExperimentForks,
  type ExperimentReader,
} from "./experiments/list-experiment-forks.ts";
export { listExperimentRuns } from "./experiments/list-experiment-runs.ts";
export { listOwnedExperiments } from "./experiments/list-owned-experiments.ts";
export {
  serviceConnectionFields,
  optionalVariables,
  settingFrom,
  parseAppEnv,
} from "./settings/app-env.ts";
export { findGraphDocument } from "./runs/find-graph-document.ts";
