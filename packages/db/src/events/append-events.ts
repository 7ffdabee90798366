import { Prisma } from "../generated/prisma/client.ts";
import type { Database } from "../create-database.ts";
import { sqlTransaction, type RawTransaction } from "../sql-transaction.ts";

/** An event to append: its stream, type and JSON payload (already validated). */
export interface NewEvent {
  readonly stream: string;
  readonly type: string;
  readonly payload: Prisma.InputJsonObject;
  readonly metadata?: Prisma.InputJsonObject;
}

/** An event as stored, with its place in its stream and in the global log. */
export interface StoredEvent {
  readonly position: bigint;
  readonly stream: string;
  readonly version: number;
  readonly type: string;
  readonly payload: unknown;
  readonly metadata: unknown;
  readonly time: Date;
}

/** The columns of a StoredEvent, for queries that return events. */
export const STORED_EVENT_FIELDS = {
  position: true,
  stream: true,
  version: true,
  type: true,
  payload: true,
  metadata: true,
  time: true,
} as const;

/** A transaction client: projections update read models through it. */
export type Transaction = Prisma.TransactionClient;

/** Raised when a stream is not at the version the writer expected. */
export class VersionConflictError extends Error {
  override readonly name = "VersionConflictError";
  readonly code = "VERSION_CONFLICT";
  constructor(
    readonly stream: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    options?: { cause?: unknown },
  ) {
    super(
      `stream ${stream}: expected version ${expectedVersion}, but it is at version ${actualVersion}`,
      options,
    );
  }
}

/** Events for one stream, appended after `expectedVersion` when given. */
export interface StreamAppend {
  readonly stream: string;
  readonly events: readonly Omit<NewEvent, "stream">[];
  readonly expectedVersion?: number;
}

/**
 * Interactive transactions wait for a pooled connection up to `maxWait`:
 * Prisma's 2 s default fails bursts of concurrent appends (P2028) that the
 * pool serves in time.
 */
export const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

/** The channel appends notify (the streams written), as a wake-up hint for StreamWaiter. */
export const EVENTS_CHANNEL = "loupe_events";

const isUniqueViolation = (error: unknown) =>
  (error instanceof Prisma.PrismaClientKnownRequestError &&
    error.code === "P2002") ||
  (error instanceof Error && /unique constraint|23505/i.test(error.message));

/**
 * Appends events to one or more streams in one transaction, with the read
 * models that `project` updates in the same transaction (inline projections):
 * either all of it commits or none. With `expectedVersion`, a stream must be
 * exactly at that version; concurrent writers are serialized by the unique
 * (stream, version) key, and every loser gets VersionConflictError naming the
 * expected and the actual version.
 *
 * The event insert is the transaction's first write, so its transaction id
 * (`tx_id`, which a rebuild replays the log by) is taken when the event is written.
 */
export async function appendEvents(
  db: Database,
  appends: readonly StreamAppend[],
  project?: (tx: Transaction, events: readonly StoredEvent[]) => Promise<void>,
): Promise<StoredEvent[]> {
  try {
    return await db.$transaction(
      (tx) => appendInTransaction(tx, appends, project),
      TRANSACTION_OPTIONS,
    );
  } catch (error) {
    throw await asVersionConflict(db, appends, error);
  }
}

/**
 * appendEvents in a raw-SQL transaction (sqlTransaction), for the run path's
 * events, whose projection (`project`) is raw SQL too.
 */
export async function appendRawEvents(
  db: Database,
  appends: readonly StreamAppend[],
  project: (
    tx: RawTransaction,
    events: readonly StoredEvent[],
  ) => Promise<void>,
): Promise<StoredEvent[]> {
  try {
    return await sqlTransaction(db, (tx) =>
      appendInTransaction(tx, appends, project),
    );
  } catch (error) {
    throw await asVersionConflict(db, appends, error);
  }
}

/** A failed append's error; a unique violation becomes the VersionConflictError it means. */
async function asVersionConflict(
  db: Database,
  appends: readonly StreamAppend[],
  error: unknown,
): Promise<unknown> {
  if (error instanceof VersionConflictError || !isUniqueViolation(error))
    return error;
  // Another writer committed first: report where the stream is now.
  const conflicted = await Promise.all(
    appends.map(async (a) => ({
      append: a,
      actual:
        (
          await db.event.aggregate({
            where: { stream: a.stream },
            _max: { version: true },
          })
        )._max.version ?? 0,
    })),
  );
  const first =
    conflicted.find(
      (c) =>
        c.append.expectedVersion !== undefined &&
        c.actual !== c.append.expectedVersion,
    ) ?? conflicted[0]!;
  return new VersionConflictError(
    first.append.stream,
    first.append.expectedVersion ?? first.actual - 1,
    first.actual,
    { cause: error },
  );
}

/**
 * appendEvents inside a transaction the caller holds (for a check that must
 * commit atomically with the events, such as a quota reservation). A
 * concurrent writer of the same stream surfaces as a unique violation when
 * the transaction commits; appendEvents turns that into VersionConflictError.
 */
export async function appendInTransaction<Tx extends RawTransaction>(
  tx: Tx,
  appends: readonly StreamAppend[],
  project?: (tx: Tx, events: readonly StoredEvent[]) => Promise<void>,
): Promise<StoredEvent[]> {
  // Two statements for the whole append, however many streams and events:
  // the streams' versions, then every event in one INSERT (raw SQL: a batch's
  // bookkeeping is on every run's path, and one statement per event was most
  // of its cost; see docs/DESIGN.md, "Runs and batches").
  const streams = [...new Set(appends.map((a) => a.stream))];
  const versions = new Map<string, number>(
    (
      await tx.$queryRaw<{ stream: string; version: number }[]>`
        SELECT stream, max(version)::int AS version FROM events
        WHERE stream = ANY(${streams}::text[]) GROUP BY stream`
    ).map((r) => [r.stream, r.version]),
  );
  const rows = {
    stream: [] as string[],
    version: [] as number[],
    type: [] as string[],
    payload: [] as string[],
    metadata: [] as string[],
  };
  for (const append of appends) {
    const current = versions.get(append.stream) ?? 0;
    if (
      append.expectedVersion !== undefined &&
      append.expectedVersion !== current
    )
      throw new VersionConflictError(
        append.stream,
        append.expectedVersion,
        current,
      );
    let version = current;
    for (const event of append.events) {
      rows.stream.push(append.stream);
      rows.version.push(++version);
      rows.type.push(event.type);
      rows.payload.push(JSON.stringify(event.payload));
      rows.metadata.push(JSON.stringify(event.metadata ?? {}));
    }
    versions.set(append.stream, version);
  }
  const stored =
    rows.stream.length === 0
      ? []
      : (
          await tx.$queryRaw<StoredEvent[]>`
            INSERT INTO events (stream, version, type, payload, metadata)
            SELECT e.stream, e.version, e.type, e.payload::jsonb, e.metadata::jsonb
            FROM unnest(${rows.stream}::text[], ${rows.version}::int[],
                        ${rows.type}::text[], ${rows.payload}::text[],
                        ${rows.metadata}::text[])
              WITH ORDINALITY AS e(stream, version, type, payload, metadata, n)
            ORDER BY e.n
            RETURNING position, stream, version, type, payload, metadata, time`
        ).sort((a, b) => (a.position < b.position ? -1 : 1));
  if (project) await project(tx, stored);
  // The payload names the streams written (StreamWaiter wakes their waiters);
  // past NOTIFY's 8000-byte limit it is empty, which wakes every waiter.
  const streamList = [...new Set(stored.map((e) => e.stream))].join("\n");
  const payload = Buffer.byteLength(streamList) < 7900 ? streamList : "";
  await tx.$queryRaw`SELECT pg_notify(${EVENTS_CHANNEL}, ${payload})::text AS notified`;
  return stored;
}

/**
 * Appends one event at the end of its stream (version = last version + 1), at
 * `expectedVersion` when given. See appendEvents.
 */
export async function appendEvent(
  db: Database,
  event: NewEvent,
  expectedVersion?: number,
): Promise<StoredEvent> {
  const [stored] = await appendEvents(db, [
    {
      stream: event.stream,
      events: [event],
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
    },
  ]);
  return stored!;
}
