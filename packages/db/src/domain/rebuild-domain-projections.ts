import type { Database } from "../create-database.ts";
import type { StoredEvent } from "../events/append-events.ts";
import { projectDomainEvents } from "./project-domain-events.ts";

/** The read-model tables the domain projection owns (rebuilt from the log): one projection each, in projections/. */
export const READ_MODEL_TABLES = [
  "accounts",
  "quotas",
  "api_keys",
  "experiments",
  "experiment_versions",
  "experiment_stars",
  "runs",
  "quota_usage",
  "models",
  "model_hosting",
] as const;

/**
 * Rebuilds every domain read model from the event log: empties the tables and
 * replays all events in the log's order (appending transaction, then
 * position), in one transaction, so readers never see a half-built state.
 */
export async function rebuildDomainProjections(db: Database): Promise<number> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(
        `TRUNCATE ${READ_MODEL_TABLES.map((t) => `"${t}"`).join(", ")}`,
      );
      let count = 0;
      let after = { tx: "0", position: 0n };
      for (;;) {
        const batch = await tx.$queryRaw<(StoredEvent & { tx_id: string })[]>`
          SELECT position, stream, version, type, payload, metadata, time, tx_id::text AS tx_id
          FROM events
          WHERE (tx_id, position) > (${after.tx}::xid8, ${after.position})
          ORDER BY tx_id, position
          LIMIT 1000`;
        if (batch.length === 0) return count;
        await projectDomainEvents(tx, batch);
        count += batch.length;
        const last = batch.at(-1)!;
        after = { tx: last.tx_id, position: last.position };
      }
    },
    { maxWait: 30_000, timeout: 600_000 },
  );
}
