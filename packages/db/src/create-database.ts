import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

/** Loupe's Prisma client, connected through the pg driver adapter. */
export type Database = PrismaClient;

/**
 * Connects to PostgreSQL at `url`. Prisma runs its WASM query compiler over the
 * `pg` driver (no native engine: see ENVIRONMENT.md). Call `$disconnect()` to close.
 */
export function createDatabase(url: string): Database {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}
