import { createDatabase, type Database } from "../create-database.ts";
import { assertLocalDatabaseUrl } from "./assert-local-database-url.ts";

export { assertLocalDatabaseUrl } from "./assert-local-database-url.ts";

/** Connects to a test database, refusing anything but a server on this machine. */
export function connectTestDatabase(url: string | undefined): Database {
  return createDatabase(assertLocalDatabaseUrl(url));
}

/** Empties every table of Loupe's schema (not the migrations table). */
export async function truncateAll(db: Database): Promise<void> {
  const rows = await db.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (rows.length === 0) return;
  const tables = rows.map((r) => `"public"."${r.tablename}"`).join(", ");
  await db.$executeRawUnsafe(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
}
