import type { Database } from "../create-database.ts";
import type { Prisma, Run } from "../generated/prisma/client.ts";

/**
 * A run's row, or null: one raw statement, as Prisma's Run. A run's status
 * is read on every status request and download, where Prisma's per-query
 * machinery cost more than the query (docs/DESIGN.md, "Runs and batches").
 */
export async function findRun(
  db: Database,
  runId: string,
): Promise<Run | null> {
  const [r] = await db.sql.$queryRaw<RunRow[]>`
    SELECT * FROM runs WHERE id = ${runId}`;
  return r ? runOfRow(r) : null;
}

interface RunRow {
  id: string;
  user_id: string;
  model: string;
  model_hash: string;
  graph_hash: string;
  experiment_id: string | null;
  experiment_version: number | null;
  status: string;
  request_id: string | null;
  reserved_seconds: number;
  result_hash: string | null;
  result_bytes: bigint | null;
  metrics: Prisma.JsonValue | null;
  error: string | null;
  generated: Prisma.JsonValue | null;
  cached: boolean;
  requested_at: Date;
  batch_id: string | null;
  queued_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
}

const runOfRow = (r: RunRow): Run => ({
  id: r.id,
  userId: r.user_id,
  model: r.model,
  modelHash: r.model_hash,
  graphHash: r.graph_hash,
  experimentId: r.experiment_id,
  experimentVersion: r.experiment_version,
  status: r.status,
  requestId: r.request_id,
  reservedSeconds: r.reserved_seconds,
  resultHash: r.result_hash,
  resultBytes: r.result_bytes,
  metrics: r.metrics,
  error: r.error,
  generated: r.generated,
  cached: r.cached,
  requestedAt: r.requested_at,
  batchId: r.batch_id,
  queuedAt: r.queued_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});
