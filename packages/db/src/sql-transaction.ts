import type pg from "pg";
import { Prisma } from "./generated/prisma/client.ts";
import type { Database } from "./create-database.ts";

/**
 * What the run path's statements need of a transaction: raw SQL, as tagged
 * templates. A Prisma transaction is one; so is sqlTransaction's.
 */
export interface RawTransaction {
  $queryRaw<T = unknown>(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): PromiseLike<T>;
  $executeRaw(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): PromiseLike<number>;
}

/** Raw SQL on one pg client (or the pool), the same templates Prisma takes. */
export class PgRawSql implements RawTransaction {
  readonly #client: pg.ClientBase | pg.Pool;

  constructor(client: pg.ClientBase | pg.Pool) {
    this.#client = client;
  }

  async $queryRaw<T = unknown>(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): Promise<T> {
    const sql = toSql(query, values);
    return (await this.#client.query(sql.text, sql.values)).rows as T;
  }

  async $executeRaw(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): Promise<number> {
    const sql = toSql(query, values);
    return (await this.#client.query(sql.text, sql.values)).rowCount ?? 0;
  }
}

const toSql = (query: TemplateStringsArray | Prisma.Sql, values: unknown[]) =>
  query instanceof Prisma.Sql
    ? query
    : Prisma.sql(query, ...(values as Prisma.Sql[]));

/**
 * Runs `fn` in a transaction on the database's pg pool, with raw SQL only.
 * The run path's transactions (a submit, a batch's claim, start and end) use
 * it instead of Prisma's: Prisma's client and its WASM query machinery were
 * about 40% of the web app's and the worker's main threads on that path
 * (docs/DESIGN.md, "Runs and batches"). Commits when `fn` resolves, rolls
 * back when it throws (and rethrows).
 */
export async function sqlTransaction<T>(
  db: Database,
  fn: (tx: RawTransaction) => Promise<T>,
): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  // A connection lost mid-transaction (a restart, a terminated backend)
  // emits "error" on the client: kept here, so it fails this transaction
  // instead of crashing the process as an unhandled event.
  const onError = (error: Error) => (broken = error);
  client.on("error", onError);
  try {
    // As Prisma's transactions did (TRANSACTION_OPTIONS), nothing holds a
    // connection of the shared pool for long: a statement waiting on a lock,
    // or a transaction left idle, ends after 30 s.
    await client.query(
      "BEGIN; SET LOCAL statement_timeout = '30s'; SET LOCAL idle_in_transaction_session_timeout = '30s'",
    );
    const result = await fn(new PgRawSql(client));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((e: Error) => (broken ??= e));
    throw error;
  } finally {
    client.off("error", onError);
    // A connection that broke, or could not roll back, is closed, not reused.
    client.release(broken);
  }
}
