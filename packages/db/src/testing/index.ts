import { createDatabase, type Database } from "../create-database.ts";

/**
 * Connects to the test database named by DATABASE_URL. Refuses anything but a
 * server on this machine, so a test run can never truncate a shared database.
 */
export function connectTestDatabase(url: string | undefined): Database {
  if (!url) throw new Error("DATABASE_URL is not set: run the tests through `npm test`, which starts PostgreSQL");
  const host = new URL(url).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) {
    throw new Error(`refusing to run tests against non-local database host "${host}"`);
  }
  return createDatabase(url);
}

/** Empties every table of Loupe's schema (not the migrations table). */
export async function truncateAll(db: Database): Promise<void> {
  const rows = await db.$queryRaw<{ tablename: string }[]>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`;
  if (rows.length === 0) return;
  const tables = rows.map((r) => `"public"."${r.tablename}"`).join(", ");
  await db.$executeRawUnsafe(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`);
}
