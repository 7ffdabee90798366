import type { Database } from "../create-database.ts";
import {
  appendEvents,
  VersionConflictError,
  type NewEvent,
  type StoredEvent,
} from "../events/append-events.ts";
import { streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import type { ModelHostingRow } from "./find-model-hosting.ts";

/**
 * Appends one event to a model's stream, with the domain projection, if
 * `decide` (given the model's hosting row as of the stream's current version)
 * returns it: the append expects that version, so the decision and the event
 * commit together or, when a worker or another administrator wrote the stream
 * in between, are made again from a fresh read. `decide` throws to refuse, or
 * returns null to append nothing.
 */
export async function appendModelEvent(
  db: Database,
  name: string,
  decide: (row: ModelHostingRow | null) => NewEvent | null,
): Promise<StoredEvent | null> {
  for (let attempt = 1; ; attempt++) {
    // One snapshot for both reads: read apart, a concurrent append could
    // land between them, and a decision on the older row would then be
    // appended at the newer version (two host requests both winning).
    const [version, row] = await db.$transaction(
      [
        db.event.aggregate({
          where: { stream: streams.model(name) },
          _max: { version: true },
        }),
        db.modelHosting.findUnique({ where: { name } }),
      ],
      { isolationLevel: "RepeatableRead" },
    );
    const event = decide(row);
    if (!event) return null;
    try {
      const [stored] = await appendEvents(
        db,
        [
          {
            stream: event.stream,
            events: [event],
            expectedVersion: version._max.version ?? 0,
          },
        ],
        projectDomainEvents,
      );
      return stored!;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 50)
        throw error;
    }
  }
}
