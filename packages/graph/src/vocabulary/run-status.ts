/**
 * Where a run is, in the order a run moves: the statuses of the runs read
 * model, the API, the SDK and the portal.
 */
export const RUN_STATUSES = [
  "requested",
  "queued",
  "running",
  "completed",
  "failed",
  "cancelled",
] as const;

/** One run status. */
export type RunStatusName = (typeof RUN_STATUSES)[number];

/** Statuses a run waits in before a worker starts it. */
export const WAITING_RUN_STATUSES = ["requested", "queued"] as const;

/** Statuses of a run not yet ended (waiting or on a worker). */
export const LIVE_RUN_STATUSES = ["requested", "queued", "running"] as const;

/** Statuses a run ends in; none is ever left. */
export const ENDED_RUN_STATUSES = ["completed", "failed", "cancelled"] as const;

const ended: ReadonlySet<string> = new Set(ENDED_RUN_STATUSES);
const waiting: ReadonlySet<string> = new Set(WAITING_RUN_STATUSES);

/** Whether a status is one a run ends in. */
export const isEndedRunStatus = (
  status: string,
): status is (typeof ENDED_RUN_STATUSES)[number] => ended.has(status);

/** Whether a status is one a run waits in. */
export const isWaitingRunStatus = (
  status: string,
): status is (typeof WAITING_RUN_STATUSES)[number] => waiting.has(status);
