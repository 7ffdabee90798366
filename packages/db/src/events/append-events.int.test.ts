import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import {
  appendEvent,
  appendEvents,
  VersionConflictError,
  type StoredEvent,
  type Transaction,
} from "./append-events.ts";
import { readStream } from "./read-stream.ts";
import { listRecentEvents } from "./list-recent-events.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";

const db = connectTestDatabase(inject("databaseUrl"));

beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

describe("appendEvent", () => {
  it("numbers events 1, 2, 3 within a stream and orders all events globally", async () => {
    const a1 = await appendEvent(db, {
      stream: "a",
      type: "T",
      payload: { n: 1 },
    });
    const b1 = await appendEvent(db, {
      stream: "b",
      type: "T",
      payload: { n: 2 },
    });
    const a2 = await appendEvent(db, {
      stream: "a",
      type: "T",
      payload: { n: 3 },
    });
    expect([a1.version, b1.version, a2.version]).toEqual([1, 1, 2]);
    expect(a1.position < b1.position && b1.position < a2.position).toBe(true);
    const recent = await listRecentEvents(db);
    expect(recent.map((e) => e.payload)).toEqual([
      { n: 3 },
      { n: 2 },
      { n: 1 },
    ]);
    expect(await listRecentEvents(db, { streamPrefix: "b" })).toHaveLength(1);
  });

  it("appends at the expected version and refuses any other, naming both", async () => {
    await appendEvent(db, { stream: "s", type: "T", payload: {} }, 0);
    const error = await appendEvent(
      db,
      { stream: "s", type: "T", payload: {} },
      0,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({
      code: "VERSION_CONFLICT",
      stream: "s",
      expectedVersion: 0,
      actualVersion: 1,
    });
    expect((error as Error).message).toBe(
      "stream s: expected version 0, but it is at version 1",
    );
    await expect(
      appendEvent(db, { stream: "s", type: "T", payload: {} }, 1),
    ).resolves.toMatchObject({ version: 2 });
  });

  it("lets exactly one of N parallel writers at the same expected version win; the others learn expected and actual", async () => {
    await appendEvent(db, { stream: "race", type: "T", payload: { i: -1 } });
    const attempts = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) =>
        appendEvent(db, { stream: "race", type: "T", payload: { i } }, 1),
      ),
    );
    const won = attempts.filter((a) => a.status === "fulfilled");
    const lost = attempts.filter(
      (a): a is PromiseRejectedResult => a.status === "rejected",
    );
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(15);
    for (const l of lost)
      expect(l.reason).toMatchObject({
        code: "VERSION_CONFLICT",
        expectedVersion: 1,
        actualVersion: 2,
      });
    expect(await db.event.count({ where: { stream: "race" } })).toBe(2);
  });

  it("stores metadata and defaults it to an empty object", async () => {
    const withMeta = await appendEvent(db, {
      stream: "m",
      type: "T",
      payload: {},
      metadata: { actor: "u1" },
    });
    const without = await appendEvent(db, {
      stream: "m",
      type: "T",
      payload: {},
    });
    expect(withMeta.metadata).toEqual({ actor: "u1" });
    expect(without.metadata).toEqual({});
  });
});

describe("appendEvents", () => {
  it("appends to several streams and updates read models in one transaction, or none of it", async () => {
    await db.$executeRaw`CREATE TABLE IF NOT EXISTS test_counts (stream text PRIMARY KEY, n int NOT NULL)`;
    const project = async (tx: Transaction, events: readonly StoredEvent[]) => {
      for (const e of events)
        await tx.$executeRaw`INSERT INTO test_counts VALUES (${e.stream}, 1)
          ON CONFLICT (stream) DO UPDATE SET n = test_counts.n + 1`;
    };
    const stored = await appendEvents(
      db,
      [
        {
          stream: "x",
          events: [
            { type: "A", payload: {} },
            { type: "B", payload: {} },
          ],
        },
        {
          stream: "y",
          events: [{ type: "A", payload: {} }],
          expectedVersion: 0,
        },
      ],
      project,
    );
    expect(stored.map((e) => [e.stream, e.version])).toEqual([
      ["x", 1],
      ["x", 2],
      ["y", 1],
    ]);
    // y is at version 1 now: the whole append fails, x gets nothing, counts unchanged.
    await expect(
      appendEvents(
        db,
        [
          { stream: "x", events: [{ type: "C", payload: {} }] },
          {
            stream: "y",
            events: [{ type: "C", payload: {} }],
            expectedVersion: 0,
          },
        ],
        project,
      ),
    ).rejects.toMatchObject({
      code: "VERSION_CONFLICT",
      stream: "y",
      actualVersion: 1,
    });
    expect(await readStream(db, "x")).toHaveLength(2);
    expect(
      await db.$queryRaw<
        { stream: string; n: number }[]
      >`SELECT stream, n FROM test_counts ORDER BY stream`,
    ).toEqual([
      { stream: "x", n: 2 },
      { stream: "y", n: 1 },
    ]);
    await db.$executeRaw`DROP TABLE test_counts`;
  });
});
