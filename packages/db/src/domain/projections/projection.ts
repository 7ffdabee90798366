import type { Transaction } from "../../events/append-events.ts";
import type { RawTransaction } from "../../sql-transaction.ts";
import type { DomainEvent } from "../domain-events.ts";

/** The type of a domain event (`account.created`, `run.queued`, ...). */
export type DomainEventType = DomainEvent["type"];

/** A parsed domain event of type `T`. */
export type DomainEventOf<T extends DomainEventType> = Extract<
  DomainEvent,
  { type: T }
>;

/**
 * A parsed event and when it was appended: read models take their times from
 * their events, never from the clock, so a rebuild reproduces them exactly.
 */
export interface AppliedEvent<T extends DomainEventType = DomainEventType> {
  readonly e: DomainEventOf<T>;
  readonly at: Date;
}

/**
 * The run path's events (a run's request and reservation, its steps, its
 * ending and settlement): on every run's path, so their handlers are raw SQL
 * and run in sqlTransaction's transactions as well as Prisma's
 * (projectRunEvents takes only these).
 */
export const RUN_PATH_EVENTS = [
  "run.requested",
  "quota.reserved",
  "run.queued",
  "run.started",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "quota.settled",
] as const satisfies readonly DomainEventType[];
export type RunPathEventType = (typeof RUN_PATH_EVENTS)[number];

/** The transaction a handler of `T` gets: raw SQL on the run path, Prisma's otherwise. */
export type TransactionOf<T extends DomainEventType> =
  T extends RunPathEventType ? RawTransaction : Transaction;

/**
 * Applies events of one type to a read model, in the log's order. It takes
 * them all at once so that a batch's steps (many runs claimed, started or
 * ended together) are one statement per type, not one per event.
 */
export type ApplyEvents<T extends DomainEventType> = (
  tx: TransactionOf<T>,
  events: readonly AppliedEvent<T>[],
) => Promise<void>;

/**
 * A read model's projection: for each event type it reads, how it applies
 * them. One per read-model table (this folder); project-domain-events.ts
 * routes every event to the projections that read it.
 */
export type Projection<T extends DomainEventType> = {
  readonly [K in T]: ApplyEvents<K>;
};

/** An ApplyEvents that applies its events one at a time with `apply`. */
export function eachEvent<T extends DomainEventType>(
  apply: (tx: TransactionOf<T>, e: DomainEventOf<T>, at: Date) => Promise<void>,
): ApplyEvents<T> {
  return async (tx, events) => {
    for (const { e, at } of events) await apply(tx, e, at);
  };
}
