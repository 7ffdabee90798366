import type { AppRouter } from "@loupe/api";
import {
  ENDED_RUN_STATUSES,
  RUN_STATUSES,
  type RunStatusName,
} from "@loupe/graph";
import type { inferRouterOutputs } from "@trpc/server";

/** Where a run is: waiting, on a worker, or ended (in the order a run moves). */
export const RUN_STATES = RUN_STATUSES;
export type RunState = RunStatusName;

type WireStatus = inferRouterOutputs<AppRouter>["runs"]["status"];

/** A run as the platform reports it, with times as Dates. */
export interface RunStatus {
  readonly runId: string;
  readonly model: string;
  readonly modelHash: string;
  readonly graphHash: string;
  readonly experiment: { experimentId: string; version: number } | null;
  readonly status: RunState;
  /** Runs of the same model ahead of this one; null once it runs. */
  readonly queuePosition: number | null;
  /** Served from an earlier identical run (no worker work, no quota). */
  readonly cached: boolean;
  readonly metrics: WireStatus["metrics"];
  readonly resultBytes: number | null;
  /** Why a failed run failed, `CODE: reason`. */
  readonly error: string | null;
  readonly requestedAt: Date;
  /** When a worker claimed it into a batch (null: not yet, or a server that does not say). */
  readonly queuedAt: Date | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** A generating run's tokens so far, per prompt row (null: none). */
  readonly generated: WireStatus["generated"];
}

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(
  ENDED_RUN_STATUSES,
);

/**
 * The wire form to RunStatus. The API sends JSON without a transformer, so its
 * Dates arrive as ISO strings whatever the router's types say.
 */
export function toRunStatus(wire: WireStatus): RunStatus {
  const date = (value: unknown) =>
    value === null || value === undefined ? null : new Date(value as string);
  return {
    runId: wire.runId,
    model: wire.model,
    modelHash: wire.modelHash,
    graphHash: wire.graphHash,
    experiment: wire.experiment,
    status: wire.status,
    queuePosition: wire.queuePosition,
    cached: wire.cached,
    metrics: wire.metrics,
    resultBytes: wire.resultBytes,
    error: wire.error,
    requestedAt: date(wire.requestedAt)!,
    queuedAt: date(wire.queuedAt),
    startedAt: date(wire.startedAt),
    finishedAt: date(wire.finishedAt),
    generated: wire.generated ?? null,
  };
}

/** One line for a status: "queued (2 ahead)", "running", "completed in 0.41 s". */
export function describeStatus(s: RunStatus): string {
  switch (s.status) {
    case "requested":
    case "queued":
      // null: not reported (run lists leave positions out).
      return s.queuePosition === null
        ? s.status
        : s.queuePosition === 0
          ? `${s.status} (next)`
          : `${s.status} (${s.queuePosition} ahead)`;
    case "completed": {
      const secs =
        s.finishedAt && s.startedAt
          ? ` in ${((s.finishedAt.getTime() - s.startedAt.getTime()) / 1000).toFixed(2)} s`
          : "";
      return s.cached ? "completed (cached)" : `completed${secs}`;
    }
    case "failed":
      return `failed: ${s.error ?? "unknown error"}`;
    default:
      return s.status;
  }
}
