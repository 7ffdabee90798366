import type { Database } from "../create-database.ts";
import {
  appendEvents,
  appendInTransaction,
  appendRawEvents,
  VersionConflictError,
  type NewEvent,
  type StreamAppend,
  type StoredEvent,
} from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import type { z } from "zod";
import {
  domainEvents,
  type runTokens,
  streams,
} from "../domain/domain-events.ts";
import {
  projectDomainEvents,
  projectRunEvents,
} from "../domain/project-domain-events.ts";
import { sqlTransaction, type RawTransaction } from "../sql-transaction.ts";

/** The event types that end a run; a run has exactly one of them. */
export const TERMINAL_RUN_EVENTS = [
  "run.completed",
  "run.failed",
  "run.cancelled",
] as const;

export interface RunMetrics {
  readonly batchId: string | null;
  readonly forwardPasses: number;
  readonly batchRows: number;
  readonly runRows: number;
  readonly computeSeconds: number;
  /** What ran otherwise than the graph asked (the engine's warnings). */
  readonly warnings?: string[];
}

/** How a run ended. */
export type RunOutcomeFacts =
  | {
      readonly status: "completed";
      readonly resultHash: string;
      readonly resultBytes: number;
      readonly metrics: RunMetrics;
    }
  | {
      readonly status: "failed";
      readonly code: string;
      readonly reason: string;
    }
  | { readonly status: "cancelled"; readonly by: string };

/** One run's ending, for finishRuns. */
export interface RunEnding {
  readonly runId: string;
  readonly outcome: RunOutcomeFacts;
}

/**
 * Ends a run, exactly once (see finishRuns). Returns the status the run ended
 * with (the earlier one on a repeat).
 */
export async function finishRun(
  db: Database,
  runId: string,
  outcome: RunOutcomeFacts,
): Promise<{ status: string; appended: boolean }> {
  const [ended] = await finishRuns(db, [{ runId, outcome }]);
  return ended!;
}

/**
 * Ends runs, each exactly once, in one transaction (a batch's endings are one
 * write, not one per run): each run's terminal event and its quota settlement
 * are appended together, at the stream version read in the same transaction,
 * so a retried or concurrent call (a worker that crashed after finishing, a
 * cancel racing a completion) finds the first ending and appends nothing for
 * that run. A result that would take its user past maxResultBytes for the day
 * ends the run as failed (RESULT_TOO_LARGE) instead: the result is not
 * attached to the run. The users' quota rows are locked in a fixed order (no
 * deadlock between batches). Returns, per run in order, the status it ended
 * with (the earlier one on a repeat).
 */
export async function finishRuns(
  db: Database,
  endings: readonly RunEnding[],
): Promise<{ status: string; appended: boolean }[]> {
  if (endings.length === 0) return [];
  for (;;) {
    try {
      return await sqlTransaction(db, async (tx) => {
        const rows = await readStreams(
          tx,
          endings.map((e) => streams.run(e.runId)),
        );
        const byStream = new Map<string, typeof rows>();
        for (const r of rows) {
          const list = byStream.get(r.stream) ?? [];
          list.push(r);
          byStream.set(r.stream, list);
        }
        type Reserved = {
          userId: string;
          day: string;
          computeSeconds: number;
        };
        const reservedOf = (history: typeof rows): Reserved | undefined => {
          const e = history.find((h) => h.type === "quota.reserved");
          return e ? (domainEvents.parse(e).payload as Reserved) : undefined;
        };
        // Today's result bytes per user and day, under the quota locks.
        const users = new Set<string>();
        for (const { runId, outcome } of endings) {
          const history = byStream.get(streams.run(runId)) ?? [];
          const reserved = reservedOf(history);
          if (reserved && outcome.status === "completed")
            users.add(reserved.userId);
        }
        const limits = new Map<string, number>();
        const used = new Map<string, number>();
        if (users.size > 0) {
          const ids = [...users].sort();
          // Locked in user order (no deadlock between batches), then read:
          // a read in the locking statement would see usage from before the
          // lock was granted (another batch's bytes missing).
          await tx.$queryRaw`SELECT user_id FROM quotas WHERE user_id = ANY(${ids}::text[]) ORDER BY user_id FOR UPDATE`;
          const rows = await tx.$queryRaw<
            {
              user_id: string;
              max: bigint;
              day: string | null;
              used: bigint | null;
            }[]
          >`
            SELECT q.user_id, q.max_result_bytes AS max, u.day, u.result_bytes AS used
            FROM quotas q LEFT JOIN quota_usage u USING (user_id)
            WHERE q.user_id = ANY(${ids}::text[])`;
          for (const r of rows) {
            limits.set(r.user_id, Number(r.max));
            if (r.day !== null)
              used.set(`${r.user_id} ${r.day}`, Number(r.used ?? 0n));
          }
        }
        const appends: StreamAppend[] = [];
        const outcomes = endings.map(({ runId, outcome }) => {
          const stream = streams.run(runId);
          const history = byStream.get(stream) ?? [];
          const ended = history.find((e) =>
            (TERMINAL_RUN_EVENTS as readonly string[]).includes(e.type),
          );
          if (ended)
            return { status: ended.type.slice("run.".length), appended: false };
          const reserved = reservedOf(history);
          let ending = outcome;
          if (reserved && outcome.status === "completed") {
            const key = `${reserved.userId} ${reserved.day}`;
            const limit = limits.get(reserved.userId);
            const today = used.get(key) ?? 0;
            if (limit !== undefined && today + outcome.resultBytes > limit)
              ending = {
                status: "failed",
                code: "RESULT_TOO_LARGE",
                reason: `quota maxResultBytes exceeded: the result has ${outcome.resultBytes} bytes, and ${today} of ${limit} are used today`,
              };
            else used.set(key, today + outcome.resultBytes);
          }
          const events: NewEvent[] = [endingEvent(runId, ending)];
          if (reserved)
            events.push(
              domainEvents.event(stream, "quota.settled", {
                runId,
                userId: reserved.userId,
                day: reserved.day,
                reservedSeconds: reserved.computeSeconds,
                computeSeconds:
                  ending.status === "completed"
                    ? ending.metrics.computeSeconds
                    : 0,
                resultBytes:
                  ending.status === "completed" ? ending.resultBytes : 0,
              }),
            );
          appends.push({
            stream,
            events,
            expectedVersion: history.length,
          });
          return { status: ending.status, appended: true };
        });
        // In stream order, so that batches ending the same runs take their
        // rows' locks in one order (never deadlock).
        appends.sort((a, b) => (a.stream < b.stream ? -1 : 1));
        if (appends.length > 0)
          await appendInTransaction(tx, appends, projectRunEvents);
        return outcomes;
      });
    } catch (error) {
      // A concurrent ending committed first: read again, and find it.
      if (!isConflict(error)) throw error;
    }
  }
}

function endingEvent(runId: string, outcome: RunOutcomeFacts): NewEvent {
  const stream = streams.run(runId);
  switch (outcome.status) {
    case "completed":
      return domainEvents.event(stream, "run.completed", {
        runId,
        resultHash: outcome.resultHash,
        resultBytes: outcome.resultBytes,
        cached: false,
        metrics: outcome.metrics,
      });
    case "failed":
      return domainEvents.event(stream, "run.failed", {
        runId,
        code: outcome.code,
        reason: outcome.reason,
      });
    case "cancelled":
      return domainEvents.event(stream, "run.cancelled", {
        runId,
        by: outcome.by,
      });
  }
}

/**
 * A concurrent writer got there first: a version conflict, or (writers that
 * lock rows in different orders, such as an unhost racing a batch) a
 * deadlock PostgreSQL broke by aborting this transaction. Read again.
 */
const isConflict = (error: unknown) =>
  error instanceof VersionConflictError ||
  (error instanceof Error &&
    /unique constraint|23505|P2002|P2034|40P01|deadlock detected/i.test(
      `${error.message} ${String((error as { code?: string }).code ?? "")}`,
    ));

/**
 * Appends a step of a run's life (`run.queued`, `run.started`) once, and never
 * after the run has ended.
 */
export async function recordRunStep(
  db: Database,
  event: NewEvent,
): Promise<boolean> {
  for (;;) {
    const history = await readStream(db, event.stream);
    if (
      history.some(
        (e) =>
          e.type === event.type ||
          (TERMINAL_RUN_EVENTS as readonly string[]).includes(e.type),
      )
    )
      return false;
    try {
      await appendEvents(
        db,
        [
          {
            stream: event.stream,
            events: [event],
            expectedVersion: history.length,
          },
        ],
        projectDomainEvents,
      );
      return true;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

/**
 * Records that a batch's runs started (`run.started`, naming the worker and
 * the batch), in one transaction for the whole batch: one query reads the
 * runs' streams, one append writes every run's event. A run that already
 * started (a retried batch) gets no second event; a run that has ended
 * (cancelled while it waited) gets nothing; the others' events are appended
 * at the versions read, and a concurrent append (a cancel racing the start)
 * makes the whole batch read again. Returns the runs to execute: those that
 * have not ended (started now, or by an earlier attempt of the batch).
 */
export async function recordRunsStarted(
  db: Database,
  runIds: readonly string[],
  facts: { workerId: string; batchId: string },
): Promise<string[]> {
  for (;;) {
    const rows = await readStreams(
      db.sql,
      runIds.map((id) => streams.run(id)),
    );
    const state = new Map<
      string,
      { version: number; started: boolean; ended: boolean }
    >();
    for (const r of rows) {
      const s = state.get(r.stream) ?? {
        version: 0,
        started: false,
        ended: false,
      };
      s.version = Math.max(s.version, r.version);
      if (r.type === "run.started") s.started = true;
      if ((TERMINAL_RUN_EVENTS as readonly string[]).includes(r.type))
        s.ended = true;
      state.set(r.stream, s);
    }
    const live = runIds.filter((id) => {
      const s = state.get(streams.run(id));
      return s !== undefined && !s.ended;
    });
    const starting = live.filter((id) => !state.get(streams.run(id))!.started);
    if (starting.length === 0) return live;
    try {
      await appendRawEvents(
        db,
        [...starting].sort().map((runId) => ({
          stream: streams.run(runId),
          expectedVersion: state.get(streams.run(runId))!.version,
          events: [
            domainEvents.event(streams.run(runId), "run.started", {
              runId,
              ...facts,
            }),
          ],
        })),
        projectRunEvents,
      );
      return live;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
}

/**
 * Appends tokens a running generation made (`run.tokens`), unless the run has
 * ended; returns whether they were recorded. Unlike a step of the run's life
 * it may repeat: each step's tokens are an event of their own.
 */
export async function recordRunTokens(
  db: Database,
  runId: string,
  tokens: z.input<typeof runTokens.schema>["tokens"],
): Promise<boolean> {
  const stream = streams.run(runId);
  for (;;) {
    const history = await readStream(db, stream);
    if (
      history.some((e) =>
        (TERMINAL_RUN_EVENTS as readonly string[]).includes(e.type),
      )
    )
      return false;
    try {
      await appendEvents(
        db,
        [
          {
            stream,
            events: [
              domainEvents.event(stream, "run.tokens", { runId, tokens }),
            ],
            expectedVersion: history.length,
          },
        ],
        projectDomainEvents,
      );
      return true;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

/**
 * The events of several streams, in stream then version order, in one
 * statement (raw SQL: on every batch's path, where the ORM's per-query cost
 * showed up; see docs/DESIGN.md, "Runs and batches").
 */
async function readStreams(
  db: RawTransaction,
  names: readonly string[],
): Promise<StoredEvent[]> {
  return db.$queryRaw<StoredEvent[]>`
    SELECT position, stream, version, type, payload, metadata, time FROM events
    WHERE stream = ANY(${names}::text[]) ORDER BY stream, version`;
}
