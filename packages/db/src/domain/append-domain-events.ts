import type { Database } from "../create-database.ts";
import {
  appendEvents,
  type NewEvent,
  type StoredEvent,
  type Transaction,
} from "../events/append-events.ts";
import { projectDomainEvents } from "./project-domain-events.ts";

/**
 * Appends domain events (made with `domainEvents.event`) to their stream, with
 * the domain projection in the same transaction; `expectedVersion` as for
 * appendEvents; `alsoInTransaction` writes what must commit with them (e.g.
 * a credential row beside `account.created`).
 */
export function appendDomainEvents(
  db: Database,
  events: readonly NewEvent[],
  options: {
    expectedVersion?: number;
    alsoInTransaction?: (tx: Transaction) => Promise<unknown>;
  } = {},
): Promise<StoredEvent[]> {
  const stream = events[0]!.stream;
  if (events.some((e) => e.stream !== stream))
    throw new Error("appendDomainEvents: every event must be of one stream");
  return appendEvents(
    db,
    [
      {
        stream,
        events,
        ...(options.expectedVersion === undefined
          ? {}
          : { expectedVersion: options.expectedVersion }),
      },
    ],
    async (tx, stored) => {
      await projectDomainEvents(tx, stored);
      await options.alsoInTransaction?.(tx);
    },
  );
}
