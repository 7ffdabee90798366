import type { Database } from "../create-database.ts";
import { appendInTransaction } from "../events/append-events.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectRunEvents } from "../domain/project-domain-events.ts";
import { sqlTransaction, type RawTransaction } from "../sql-transaction.ts";
import { RUNS_REQUESTED_CHANNEL } from "./claim-runs.ts";
import { QuotaExceededError } from "./quota-exceeded-error.ts";
import { storeGraph, type StoredGraph } from "./graphs.ts";
import { storeRunSources, type RunSources } from "./run-sources.ts";
import { utcDay } from "./utc-day.ts";
import { runLimitsOf, type RunLimits } from "./run-limits.ts";
import type { Quota } from "../generated/prisma/client.ts";

export interface RunRequestFacts {
  readonly runId: string;
  readonly userId: string;
  readonly model: string;
  readonly modelHash: string;
  /** The checked graph, stored once (graphs table) under graphHash. */
  readonly graph: StoredGraph;
  readonly graphHash: string;
  /** Where the script made each node (stored beside the graph, in graph_sources), when the submit said. */
  readonly sources?: RunSources;
  readonly experiment: { experimentId: string; version: number } | null;
  /** The client's id for this request: one run per user and id (null: none given). */
  readonly requestId: string | null;
  /** Compute seconds to reserve: the run's estimated cost. */
  readonly estimatedSeconds: number;
  /**
   * Checks the run against the user's run limits (their quota's), under the
   * quota lock, before anything is recorded; throws to refuse it.
   */
  readonly admit?: (limits: RunLimits) => void;
}

/** What a submitted request became: a new run, or the run an earlier request with its id made. */
export type RequestedRun =
  | { readonly runId: string; readonly duplicate: false }
  | {
      readonly runId: string;
      readonly duplicate: true;
      readonly graphHash: string;
    };

/** A user's quota and what is in use now, as admission sees it. */
export interface QuotaStanding {
  readonly limits: {
    computeSecondsPerDay: number;
    maxConcurrentRuns: number;
    maxRunsPerDay: number;
    maxResultBytes: number;
  } | null;
  readonly day: string;
  readonly activeRuns: number;
  readonly runsToday: number;
  /** Settled charges plus the reservations of unsettled runs, today. */
  readonly secondsToday: number;
  readonly resultBytesToday: number;
}

/** Reads a user's quota standing (in `tx` to see it under the quota lock). */
export async function quotaStanding(
  tx: RawTransaction,
  userId: string,
  at = new Date(),
  /** Called with the quota row, when there is one, before usage is read. */
  inspect?: (quota: Quota) => void,
): Promise<QuotaStanding> {
  const day = utcDay(at);
  const [row0] = await tx.$queryRaw<QuotaRow[]>`
    SELECT * FROM quotas WHERE user_id = ${userId}`;
  const quota = row0 ? quotaOfRow(row0) : null;
  if (quota) inspect?.(quota);
  // Today's usage and the runs still active (any day's) in one statement:
  // on every submit's path.
  const [row] = await tx.$queryRaw<
    {
      runs: number | null;
      reserved: number | null;
      used: number | null;
      bytes: bigint | null;
      active: bigint | null;
    }[]
  >`
    SELECT t.runs, t.reserved_seconds AS reserved, t.used_seconds AS used,
      t.result_bytes AS bytes,
      (SELECT sum(active_runs) FROM quota_usage WHERE user_id = ${userId}) AS active
    FROM (SELECT 1) AS one
    LEFT JOIN quota_usage t ON t.user_id = ${userId} AND t.day = ${day}`;
  return {
    limits: quota && {
      computeSecondsPerDay: quota.computeSecondsPerDay,
      maxConcurrentRuns: quota.maxConcurrentRuns,
      maxRunsPerDay: quota.maxRunsPerDay,
      maxResultBytes: Number(quota.maxResultBytes),
    },
    day,
    activeRuns: Number(row?.active ?? 0),
    runsToday: row?.runs ?? 0,
    secondsToday: (row?.used ?? 0) + (row?.reserved ?? 0),
    resultBytesToday: Number(row?.bytes ?? 0n),
  };
}

/**
 * Records a run request with its quota reservation, atomically: the user's
 * quota row is locked (SELECT ... FOR UPDATE), so concurrent requests of one
 * user are admitted one at a time against usage that includes every earlier
 * reservation; a request over any limit appends nothing and throws
 * QuotaExceededError naming the quota. Different users never wait on each other.
 */
export async function requestRun(
  db: Database,
  facts: RunRequestFacts,
): Promise<RequestedRun> {
  return sqlTransaction(db, async (tx): Promise<RequestedRun> => {
    const locked = await tx.$queryRaw<{ user_id: string }[]>`
      SELECT user_id FROM quotas WHERE user_id = ${facts.userId} FOR UPDATE`;
    if (locked.length === 0) throw new QuotaExceededError("none", 0, 0);
    // Under the user's quota lock, so concurrent retries of one request see
    // each other; the unique index on (user_id, request_id) is the backstop.
    if (facts.requestId !== null) {
      const earlier = await findRequestedRun(tx, facts.userId, facts.requestId);
      if (earlier) return { ...earlier, duplicate: true };
    }
    const s = await quotaStanding(tx, facts.userId, new Date(), (quota) =>
      facts.admit?.(runLimitsOf(quota)),
    );
    const limits = s.limits!;
    if (s.activeRuns + 1 > limits.maxConcurrentRuns)
      throw new QuotaExceededError(
        "maxConcurrentRuns",
        limits.maxConcurrentRuns,
        s.activeRuns,
      );
    if (s.runsToday + 1 > limits.maxRunsPerDay)
      throw new QuotaExceededError(
        "maxRunsPerDay",
        limits.maxRunsPerDay,
        s.runsToday,
      );
    if (s.secondsToday + facts.estimatedSeconds > limits.computeSecondsPerDay)
      throw new QuotaExceededError(
        "computeSecondsPerDay",
        limits.computeSecondsPerDay,
        round(s.secondsToday),
        `quota computeSecondsPerDay exceeded: ${round(s.secondsToday)} of ${limits.computeSecondsPerDay} s used or reserved today, and this run is estimated at ${round(facts.estimatedSeconds)} s`,
      );
    if (s.resultBytesToday >= limits.maxResultBytes)
      throw new QuotaExceededError(
        "maxResultBytes",
        limits.maxResultBytes,
        s.resultBytesToday,
      );
    const {
      estimatedSeconds,
      graph,
      admit: _admit,
      sources,
      ...requested
    } = facts;
    await storeGraph(tx, facts.graphHash, facts.modelHash, graph);
    if (sources)
      await storeRunSources(tx, facts.runId, facts.graphHash, sources);
    await appendInTransaction(
      tx,
      [
        {
          stream: streams.run(facts.runId),
          expectedVersion: 0,
          events: [
            domainEvents.event(
              streams.run(facts.runId),
              "run.requested",
              requested,
            ),
            domainEvents.event(streams.run(facts.runId), "quota.reserved", {
              runId: facts.runId,
              userId: facts.userId,
              day: s.day,
              computeSeconds: estimatedSeconds,
            }),
          ],
        },
      ],
      projectRunEvents,
    );
    // Wakes the workers hosting the model (claimRuns): a hint, committed with
    // the run; a worker that missed it finds the run at its next claim.
    await tx.$queryRaw`SELECT pg_notify(${RUNS_REQUESTED_CHANNEL}, ${facts.model})::text AS notified`;
    return { runId: facts.runId, duplicate: false };
  });
}

/** The run a user's earlier request with `requestId` made, if any. */
export async function findRequestedRun(
  tx: RawTransaction,
  userId: string,
  requestId: string,
): Promise<{ runId: string; graphHash: string } | null> {
  const [run] = await tx.$queryRaw<{ id: string; graph_hash: string }[]>`
    SELECT id, graph_hash FROM runs WHERE user_id = ${userId} AND request_id = ${requestId}`;
  return run ? { runId: run.id, graphHash: run.graph_hash } : null;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** A quotas row as raw SQL reads it. */
interface QuotaRow {
  user_id: string;
  compute_seconds_per_day: number;
  max_concurrent_runs: number;
  max_result_bytes: bigint;
  max_runs_per_day: number;
  max_rows_per_run: number;
  max_tokens_per_row: number;
  max_tokens_per_run: number;
  max_nodes_per_run: number;
  max_constant_bytes_per_run: bigint;
  max_result_bytes_per_run: bigint;
  max_request_bytes: bigint;
  updated_at: Date;
}

/** The row as Prisma's Quota (the shape every other reader of quotas sees). */
const quotaOfRow = (r: QuotaRow): Quota => ({
  userId: r.user_id,
  computeSecondsPerDay: r.compute_seconds_per_day,
  maxConcurrentRuns: r.max_concurrent_runs,
  maxResultBytes: BigInt(r.max_result_bytes),
  maxRunsPerDay: r.max_runs_per_day,
  maxRowsPerRun: r.max_rows_per_run,
  maxTokensPerRow: r.max_tokens_per_row,
  maxTokensPerRun: r.max_tokens_per_run,
  maxNodesPerRun: r.max_nodes_per_run,
  maxConstantBytesPerRun: BigInt(r.max_constant_bytes_per_run),
  maxResultBytesPerRun: BigInt(r.max_result_bytes_per_run),
  maxRequestBytes: BigInt(r.max_request_bytes),
  updatedAt: r.updated_at,
});
