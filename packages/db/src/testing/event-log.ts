import type { Database } from "../create-database.ts";
import type { StoredEvent } from "../events/append-events.ts";
import { sqlTransaction } from "../sql-transaction.ts";

/**
 * An event of the log as a fixture stores it (fixtures/event-log/events.json):
 * the columns of `events`, with the appending transaction as its ordinal in
 * the log (`tx`: 1 for the first transaction, 2 for the next), since a
 * transaction id means nothing on another server.
 */
export interface LoggedEvent {
  readonly tx: number;
  readonly position: number;
  readonly stream: string;
  readonly version: number;
  readonly type: string;
  readonly payload: unknown;
  readonly metadata: unknown;
  /** ISO 8601, UTC. */
  readonly time: string;
}

/** The whole event log in its replay order (transaction, then position). */
export async function readEventLog(db: Database): Promise<LoggedEvent[]> {
  const { rows } = await db.pool.query<
    Omit<StoredEvent, "position"> & { position: bigint; tx_id: string }
  >(
    `SELECT tx_id::text AS tx_id, position, stream, version, type, payload, metadata, time
     FROM events ORDER BY tx_id, position`,
  );
  let tx = 0;
  let txId: string | undefined;
  return rows.map((row) => {
    if (row.tx_id !== txId) {
      tx++;
      txId = row.tx_id;
    }
    return {
      tx,
      position: Number(row.position),
      stream: row.stream,
      version: row.version,
      type: row.type,
      payload: row.payload,
      metadata: row.metadata,
      time: row.time.toISOString(),
    };
  });
}

/**
 * Writes a recorded log into an empty `events` table as it was appended: each
 * of its transactions in a transaction of its own, in order (so the rebuild's
 * order, by transaction then position, is the log's), with the recorded
 * positions and times. Projects nothing.
 */
export async function loadEventLog(
  db: Database,
  events: readonly LoggedEvent[],
): Promise<void> {
  const transactions = new Map<number, LoggedEvent[]>();
  for (const e of events)
    transactions.set(e.tx, [...(transactions.get(e.tx) ?? []), e]);
  for (const group of transactions.values())
    await sqlTransaction(db, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO events (position, stream, version, type, payload, metadata, time)
        SELECT * FROM unnest(
          ${group.map((e) => String(e.position))}::bigint[],
          ${group.map((e) => e.stream)}::text[],
          ${group.map((e) => e.version)}::int[],
          ${group.map((e) => e.type)}::text[],
          ${group.map((e) => JSON.stringify(e.payload))}::jsonb[],
          ${group.map((e) => JSON.stringify(e.metadata))}::jsonb[],
          ${group.map((e) => e.time)}::timestamptz[])`;
    });
  // Later appends continue after the loaded positions.
  await db.pool.query(
    `SELECT setval(pg_get_serial_sequence('events', 'position'),
                   greatest((SELECT max(position) FROM events), 1))`,
  );
}
