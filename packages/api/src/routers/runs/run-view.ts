import {
  normalizeRunError,
  type GeneratedRow,
  type RunStatusName,
} from "@loupe/graph";
import type { readableRun } from "../../experiments/experiment-access.ts";

/** A run's row, as the runs read model keeps it. */
export type RunRow = Awaited<ReturnType<typeof readableRun>>;

/** What the runs read model keeps of a run's work once it ran. */
interface RunMetrics {
  batchId: string | null;
  forwardPasses: number;
  batchRows: number;
  runRows: number;
  computeSeconds: number;
  warnings?: string[];
}

/**
 * A run as the API shows it (`runs.status`, `runs.list`). Its error is
 * `CODE: reason` with the code in the registry's spelling
 * (normalizeRunError), also for runs recorded before the registry
 * (`RunError: ...` reads `RUN_ERROR: ...`).
 */
export const toRunView = (run: RunRow, position: number | null) => ({
  runId: run.id,
  userId: run.userId,
  model: run.model,
  modelHash: run.modelHash,
  graphHash: run.graphHash,
  experiment:
    run.experimentId === null
      ? null
      : { experimentId: run.experimentId, version: run.experimentVersion! },
  status: run.status as RunStatusName,
  /** Runs of the same model ahead of this one in the queue (null once it runs). */
  queuePosition: position,
  cached: run.cached,
  metrics: run.metrics as RunMetrics | null,
  reservedSeconds: run.reservedSeconds,
  resultBytes: run.resultBytes === null ? null : Number(run.resultBytes),
  /** Streams the saved values as safetensors, for whoever may read this run. */
  resultUrl: run.status === "completed" ? `/api/runs/${run.id}/result` : null,
  error: run.error === null ? null : normalizeRunError(run.error),
  requestedAt: run.requestedAt,
  /** When a worker claimed it into a batch (null: not yet, or never). */
  queuedAt: run.queuedAt,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
  /** A generating run's tokens so far, per prompt row (null: not a generation, or none yet). */
  generated: run.generated as GeneratedRow[] | null,
  /** Changes whenever the state, queue position or generated tokens do (see status's long poll). */
  changeKey: `${run.status}:${position ?? ""}${run.generated ? `:${generatedCount(run.generated)}` : ""}`,
});

/** How many tokens a run generated so far, over all its prompt rows. */
const generatedCount = (generated: unknown) =>
  ((generated as GeneratedRow[] | null) ?? []).reduce(
    (n, r) => n + r.ids.length,
    0,
  );
