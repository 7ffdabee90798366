import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { PgRawSql } from "./sql-transaction.ts";

/**
 * Loupe's database: the Prisma client, connected through the pg driver
 * adapter, and that adapter's pg pool (`pool`), which the run path's
 * statements use directly: `sql` for a statement on its own, sqlTransaction
 * for a transaction (raw SQL only, without Prisma's per-query machinery).
 */
export type Database = PrismaClient & {
  readonly pool: pg.Pool;
  readonly sql: PgRawSql;
};

// int8 as bigint, as Prisma's raw queries return it (pg's default is a string).
const INT8_OID = 20;
function getTypeParser(oid: number, format?: "text" | "binary"): unknown {
  if (oid === INT8_OID && format !== "binary")
    return (value: string) => BigInt(value);
  return pg.types.getTypeParser(oid, format);
}
const types: pg.CustomTypesConfig = { getTypeParser };

/**
 * Connects to PostgreSQL at `url`. Prisma runs its WASM query compiler over the
 * `pg` driver (no native engine: see ENVIRONMENT.md). Call `$disconnect()` to
 * close (it ends the pool too).
 */
export function createDatabase(url: string): Database {
  // A transaction waits at most 30 s for a connection of the pool, as
  // Prisma's TRANSACTION_OPTIONS.maxWait did.
  const pool = new pg.Pool({
    connectionString: url,
    types,
    connectionTimeoutMillis: 30_000,
  });
  const client = new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: true }),
  });
  return Object.assign(client, { pool, sql: new PgRawSql(pool) });
}
