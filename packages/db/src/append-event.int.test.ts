import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { appendEvent, StreamVersionConflictError } from "./append-event.ts";
import { listRecentEvents } from "./list-recent-events.ts";
import { connectTestDatabase, truncateAll } from "./testing/index.ts";

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
    expect(error).toBeInstanceOf(StreamVersionConflictError);
    expect(error).toMatchObject({
      code: "STREAM_VERSION_CONFLICT",
      stream: "s",
      expectedVersion: 0,
    });
    expect((error as Error).message).toBe(
      "stream s: expected version 0, but another event was appended first",
    );
    await expect(
      appendEvent(db, { stream: "s", type: "T", payload: {} }, 1),
    ).resolves.toMatchObject({ version: 2 });
  });

  it("lets exactly one of many concurrent writers win each version", async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        appendEvent(db, { stream: "race", type: "T", payload: { i } }, 0),
      ),
    );
    const won = attempts.filter((a) => a.status === "fulfilled");
    const lost = attempts.filter(
      (a): a is PromiseRejectedResult => a.status === "rejected",
    );
    expect(won).toHaveLength(1);
    expect(
      lost.every((l) => l.reason instanceof StreamVersionConflictError),
    ).toBe(true);
    expect(await db.event.count({ where: { stream: "race" } })).toBe(1);
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
