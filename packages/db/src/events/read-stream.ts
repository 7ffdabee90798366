import type { Database } from "../create-database.ts";
import {
  STORED_EVENT_FIELDS,
  type StoredEvent,
  type Transaction,
} from "./append-events.ts";

/** A stream's events in version order, from `fromVersion` (inclusive) on. */
export async function readStream(
  db: Database | Transaction,
  stream: string,
  { fromVersion = 1 }: { fromVersion?: number } = {},
): Promise<StoredEvent[]> {
  return db.event.findMany({
    where: { stream, version: { gte: fromVersion } },
    orderBy: { version: "asc" },
    select: STORED_EVENT_FIELDS,
  });
}
