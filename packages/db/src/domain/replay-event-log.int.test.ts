import fs from "node:fs";
import { afterAll, beforeEach, expect, inject, it } from "vitest";
import {
  TRANSACTION_OPTIONS,
  type StoredEvent,
} from "../events/append-events.ts";
import type { Database } from "../create-database.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { loadEventLog, type LoggedEvent } from "../testing/event-log.ts";
import {
  snapshotReadModels,
  type ReadModelSnapshot,
} from "../testing/read-model-snapshot.ts";
import * as domainEventModule from "./domain-events.ts";
import { projectDomainEvents } from "./project-domain-events.ts";
import {
  READ_MODEL_TABLES,
  rebuildDomainProjections,
} from "./rebuild-domain-projections.ts";

// The golden event log and the read models the projections made of it when
// it was recorded (fixtures/event-log/record-event-log.ts): whatever the
// projections' code becomes, the same log must give the same rows.
const fixture = (name: string): unknown =>
  JSON.parse(
    fs.readFileSync(
      new URL(`../../fixtures/event-log/${name}`, import.meta.url),
      "utf8",
    ),
  );
const events = fixture("events.json") as LoggedEvent[];
const readModels = fixture("read-models.json") as ReadModelSnapshot;

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

it("the recorded log holds every event type of the catalog, and the recorded read models every table", () => {
  const catalogTypes = (Object.values(domainEventModule) as unknown[])
    .filter(isEventDefinition)
    .map((d) => d.type);
  expect(catalogTypes.every((t) => domainEventModule.domainEvents.has(t))).toBe(
    true,
  );
  expect(new Set(events.map((e) => e.type))).toEqual(new Set(catalogTypes));
  expect(Object.keys(readModels)).toEqual([...READ_MODEL_TABLES]);
});

it("rebuilding the read models from the recorded log gives the recorded read models", async () => {
  await loadEventLog(db, events);
  expect(await rebuildDomainProjections(db)).toBe(events.length);
  expect(await snapshotReadModels(db)).toStrictEqual(readModels);
});

it("projecting the recorded log inline, one appending transaction at a time, gives the recorded read models", async () => {
  await loadEventLog(db, events);
  for (const appended of await readTransactions(db))
    await db.$transaction(
      (tx) => projectDomainEvents(tx, appended),
      TRANSACTION_OPTIONS,
    );
  expect(await snapshotReadModels(db)).toStrictEqual(readModels);
});

/** Whether a module's export is an event type's definition (defineEvent). */
function isEventDefinition(x: unknown): x is { type: string } {
  return (
    typeof x === "object" &&
    x !== null &&
    "type" in x &&
    typeof x.type === "string" &&
    "version" in x &&
    "schema" in x
  );
}

/** The log's events grouped by the transaction that appended them, in order. */
async function readTransactions(db: Database): Promise<StoredEvent[][]> {
  const rows = await db.$queryRaw<(StoredEvent & { tx_id: string })[]>`
    SELECT position, stream, version, type, payload, metadata, time, tx_id::text AS tx_id
    FROM events ORDER BY tx_id, position`;
  const transactions = new Map<string, StoredEvent[]>();
  for (const { tx_id, ...event } of rows)
    transactions.set(tx_id, [...(transactions.get(tx_id) ?? []), event]);
  return [...transactions.values()];
}
