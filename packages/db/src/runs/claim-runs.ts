import type { Database } from "../create-database.ts";
import { appendInTransaction } from "../events/append-events.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectRunEvents } from "../domain/project-domain-events.ts";
import { sqlTransaction } from "../sql-transaction.ts";

/**
 * The channel a run request notifies (payload: the model's name), in the
 * transaction that records it: the workers hosting that model wake and claim.
 */
export const RUNS_REQUESTED_CHANNEL = "loupe_runs_requested";

/** A requested run as a claim sees it: enough to run it, by reference. */
export interface ClaimableRun {
  readonly runId: string;
  readonly userId: string;
  readonly graphHash: string;
  readonly modelHash: string;
}

/**
 * Claims requested runs of `model` into batch `batchId`, fairly, in one
 * transaction:
 * 1. up to `limit` candidates, ranked round-robin across users: a user's
 *    n-th waiting run ranks n plus the runs of theirs already queued or
 *    running on the model (so a user with runs in flight gives way), then by
 *    request time; rows another claimer holds are skipped (SKIP LOCKED), so
 *    workers hosting the same model never claim a run twice;
 * 2. `fit` keeps those that fit the batch (the worker's rows and memory
 *    budget), in rank order;
 * 3. each kept run gets `run.queued` naming the batch and the worker (one
 *    append for all); the rest stay requested, for the next claim.
 * Returns the claimed runs, in rank order.
 */
export async function claimRuns(
  db: Database,
  options: {
    readonly model: string;
    readonly batchId: string;
    readonly workerId: string;
    readonly limit: number;
    readonly fit?: (
      candidates: readonly ClaimableRun[],
    ) => Promise<readonly ClaimableRun[]> | readonly ClaimableRun[];
  },
): Promise<ClaimableRun[]> {
  const { model, batchId, workerId } = options;
  return sqlTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<
      {
        id: string;
        user_id: string;
        graph_hash: string;
        model_hash: string;
        rank: bigint;
        requested_at: Date;
      }[]
    >`
      WITH in_flight AS (
        SELECT user_id, count(*) AS n FROM runs
        WHERE model = ${model} AND status IN ('queued', 'running')
        GROUP BY user_id
      ), ranked AS (
        SELECT w.id, w.requested_at,
          row_number() OVER (PARTITION BY w.user_id ORDER BY w.requested_at, w.id)
            + coalesce(f.n, 0) AS rank
        FROM runs w LEFT JOIN in_flight f USING (user_id)
        WHERE w.model = ${model} AND w.status = 'requested'
      )
      SELECT r.id, r.user_id, r.graph_hash, r.model_hash, ranked.rank, ranked.requested_at
      FROM runs r JOIN ranked USING (id)
      WHERE r.status = 'requested'
      ORDER BY ranked.rank, ranked.requested_at, r.id
      -- Rows are locked as the limit takes them: rows another claimer holds
      -- are skipped without counting, so a second worker claims the next ones.
      LIMIT ${options.limit}
      FOR UPDATE OF r SKIP LOCKED`;
    if (rows.length === 0) return [];
    rows.sort(
      (a, b) =>
        Number(a.rank - b.rank) ||
        a.requested_at.getTime() - b.requested_at.getTime() ||
        (a.id < b.id ? -1 : 1),
    );
    const candidates: ClaimableRun[] = rows.map((r) => ({
      runId: r.id,
      userId: r.user_id,
      graphHash: r.graph_hash,
      modelHash: r.model_hash,
    }));
    const claimed = options.fit
      ? [...(await options.fit(candidates))]
      : candidates;
    if (claimed.length === 0) return [];
    await appendInTransaction(
      tx,
      claimed.map(({ runId }) => ({
        stream: streams.run(runId),
        events: [
          domainEvents.event(streams.run(runId), "run.queued", {
            runId,
            batchId,
            workerId,
          }),
        ],
      })),
      projectRunEvents,
    );
    return claimed;
  });
}

/** A batch whose runs were claimed but that no workflow has ended. */
export interface ClaimedBatch {
  readonly batchId: string;
  readonly model: string;
  readonly runs: ClaimableRun[];
}

/**
 * Batches of `model` with runs still queued (claimed, not started) since
 * before `olderThan`: their worker may have died between the claim and the
 * start of the batch's workflow. The worker's sweeper starts their workflows
 * again (a batch's workflow id is its batch id, so a live one is left alone).
 */
export async function findStalledBatches(
  db: Database,
  model: string,
  olderThan: Date,
): Promise<ClaimedBatch[]> {
  const runs = await db.run.findMany({
    where: { model, status: "queued", queuedAt: { lt: olderThan } },
    select: {
      id: true,
      userId: true,
      graphHash: true,
      modelHash: true,
      batchId: true,
    },
    orderBy: { queuedAt: "asc" },
    take: 1000,
  });
  const batches = new Map<string, ClaimedBatch>();
  for (const r of runs) {
    const batchId = r.batchId ?? `run-${r.id}`;
    const batch = batches.get(batchId) ?? { batchId, model, runs: [] };
    batch.runs.push({
      runId: r.id,
      userId: r.userId,
      graphHash: r.graphHash,
      modelHash: r.modelHash,
    });
    batches.set(batchId, batch);
  }
  return [...batches.values()];
}
