import pg from "pg";
import type { Database } from "../create-database.ts";
import {
  EVENTS_CHANNEL,
  type StoredEvent,
  type Transaction,
} from "./append-events.ts";

/** Where a subscriber has read up to: the last event's (transaction id, position). */
export interface Checkpoint {
  readonly txId: bigint;
  readonly position: bigint;
}

/** Handles a batch of events, inside the transaction that moves the checkpoint. */
export type EventHandler = (
  tx: Transaction,
  events: readonly StoredEvent[],
) => Promise<void>;

interface EventRow {
  position: bigint;
  stream: string;
  version: number;
  type: string;
  payload: unknown;
  metadata: unknown;
  time: Date;
  tx_id: string;
}

/**
 * A catch-up subscription for an asynchronous projection: reads the event log
 * from its checkpoint and hands batches to `handler` in a transaction that also
 * moves the checkpoint, so a projection in PostgreSQL sees each event exactly once.
 *
 * Order: by (transaction id, position), and only events whose transaction id is
 * below the oldest transaction still running (`pg_snapshot_xmin`). Positions are
 * taken when rows are inserted, not when they commit: reading by position alone
 * would pass over an event that commits after a later-numbered one. Every
 * transaction below the horizon has finished, and every later commit has a
 * transaction id at or above it, so nothing can appear behind the checkpoint.
 * Within one stream the order is version order (appendEvents writes the event
 * first, so a transaction's id is taken when its event is written, and the
 * unique (stream, version) key serializes writers of a stream).
 */
export class EventSubscriber {
  #stopped = true;
  #listener: pg.Client | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    readonly name: string,
    private readonly handler: EventHandler,
    private readonly options: {
      batchSize?: number;
      pollMs?: number;
      /** Called when a batch fails; the loop retries after the poll interval. */
      onError?: (error: unknown) => void;
    } = {},
  ) {}

  /** The subscription's checkpoint (zero before its first batch). */
  async checkpoint(): Promise<Checkpoint> {
    const rows = await this.db.$queryRaw<{ tx_id: string; position: bigint }[]>`
      SELECT tx_id::text AS tx_id, position FROM subscription_checkpoints WHERE name = ${this.name}`;
    const row = rows[0];
    return row
      ? { txId: BigInt(row.tx_id), position: row.position }
      : { txId: 0n, position: 0n };
  }

  /**
   * Processes every event committed below the horizon now, batch after batch;
   * returns how many. Safe to call from several processes: an advisory lock per
   * subscription lets one at a time through.
   */
  async catchUp(): Promise<number> {
    let total = 0;
    for (;;) {
      const handled = await this.#batch();
      total += handled;
      if (handled === 0) return total;
    }
  }

  async #batch(): Promise<number> {
    const limit = this.options.batchSize ?? 500;
    return this.db.$transaction(
      async (tx) => {
        // An advisory lock takes no transaction id, so it does not hold the horizon back.
        await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`loupe-subscriber:${this.name}`}))::text AS locked`;
        const at = await tx.$queryRaw<{ tx_id: string; position: bigint }[]>`
          SELECT tx_id::text AS tx_id, position FROM subscription_checkpoints WHERE name = ${this.name}`;
        const from = at[0] ?? { tx_id: "0", position: 0n };
        const rows = await tx.$queryRaw<EventRow[]>`
          SELECT position, stream, version, type, payload, metadata, time, tx_id::text AS tx_id
          FROM events
          WHERE (tx_id, position) > (${from.tx_id}::xid8, ${from.position})
            AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY tx_id, position
          LIMIT ${limit}`;
        if (rows.length === 0) return 0;
        await this.handler(
          tx,
          rows.map(({ tx_id: _tx, ...event }) => event),
        );
        const last = rows.at(-1)!;
        await tx.$executeRaw`
          INSERT INTO subscription_checkpoints (name, tx_id, position, updated_at)
          VALUES (${this.name}, ${last.tx_id}::xid8, ${last.position}, now())
          ON CONFLICT (name) DO UPDATE
            SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()`;
        return rows.length;
      },
      { maxWait: 30_000, timeout: 60_000 },
    );
  }

  /**
   * Runs until stop(): catches up, then waits for a NOTIFY from an append (a
   * hint only) or the poll interval, whichever comes first. `databaseUrl` is
   * for the LISTEN connection.
   */
  async start(databaseUrl: string): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    const listener = new pg.Client({ connectionString: databaseUrl });
    listener.on("notification", () => this.#wake?.());
    listener.on("error", () => undefined); // polling carries on without hints
    await listener.connect();
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.#listener = listener;
    this.#loop = (async () => {
      while (!this.#stopped) {
        try {
          await this.catchUp();
        } catch (error) {
          this.options.onError?.(error);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs ?? 1000);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    })();
  }

  /** Stops the loop after its current batch and closes the LISTEN connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.#listener?.end();
    this.#listener = undefined;
  }
}
