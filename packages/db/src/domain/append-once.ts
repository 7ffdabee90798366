import type { Database } from "../create-database.ts";
import {
  appendEvents,
  VersionConflictError,
  type NewEvent,
  type StoredEvent,
} from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { projectDomainEvents } from "./project-domain-events.ts";

/**
 * Appends a domain event (with its projection) unless its stream already has
 * an event of that type: what an activity retried after a crash needs to
 * record each fact exactly once. Concurrent writers are resolved by the stream
 * version; the loser re-reads and finds the event there.
 */
export async function appendOnce(
  db: Database,
  event: NewEvent,
): Promise<{ event: StoredEvent; appended: boolean }> {
  for (;;) {
    const stream = await readStream(db, event.stream);
    const existing = stream.find((e) => e.type === event.type);
    if (existing) return { event: existing, appended: false };
    try {
      const [stored] = await appendEvents(
        db,
        [
          {
            stream: event.stream,
            events: [event],
            expectedVersion: stream.length,
          },
        ],
        projectDomainEvents,
      );
      return { event: stored!, appended: true };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}
