import type { Database } from "@loupe/db";
import { measure, type PartHealth } from "./part-health.ts";

/** Asks PostgreSQL for its version and the number of applied migrations. */
export function probeDatabase(
  db: Database,
  timeoutMs = 2000,
): Promise<PartHealth> {
  return measure("database", timeoutMs, async () => {
    const [row] = await db.$queryRaw<{ version: string; migrations: bigint }[]>`
      SELECT current_setting('server_version') AS version,
             (SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL) AS migrations`;
    if (!row) throw new Error("PostgreSQL returned no row");
    return `PostgreSQL ${row.version}, ${row.migrations} migration${row.migrations === 1n ? "" : "s"} applied`;
  });
}
