import type { Database } from "../create-database.ts";
import type { StoredEvent } from "./append-events.ts";

/** The newest events of the whole log (or of streams with a prefix), newest first. */
export async function listRecentEvents(
  db: Database,
  { limit = 20, streamPrefix }: { limit?: number; streamPrefix?: string } = {},
): Promise<StoredEvent[]> {
  return db.event.findMany({
    where:
      streamPrefix === undefined
        ? {}
        : { stream: { startsWith: streamPrefix } },
    orderBy: { position: "desc" },
    take: Math.min(Math.max(limit, 1), 200),
  });
}
