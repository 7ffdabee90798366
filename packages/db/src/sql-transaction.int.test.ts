import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { domainEvents, streams } from "./domain/domain-events.ts";
import { projectRunEvents } from "./domain/project-domain-events.ts";
import {
  appendRawEvents,
  VersionConflictError,
} from "./events/append-events.ts";
import { readStream } from "./events/read-stream.ts";
import { sqlTransaction } from "./sql-transaction.ts";
import { connectTestDatabase, truncateAll } from "./testing/index.ts";

const db = connectTestDatabase(inject("databaseUrl"));

beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

const count = async (stream: string) => (await readStream(db, stream)).length;

describe("sqlTransaction", () => {
  it("commits what its function wrote when the function resolves", async () => {
    const answer = await sqlTransaction(db, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO events (stream, version, type, payload) VALUES ('s', 1, 'T', '{}')`;
      return 42;
    });
    expect(answer).toBe(42);
    expect(await count("s")).toBe(1);
  });

  it("rolls everything back and rethrows when the function throws, and its connection serves the next transaction", async () => {
    const failing = sqlTransaction(db, async (tx) => {
      await tx.$executeRaw`
        INSERT INTO events (stream, version, type, payload) VALUES ('s', 1, 'T', '{}')`;
      throw new Error("changed my mind");
    });
    await expect(failing).rejects.toThrow("changed my mind");
    expect(await count("s")).toBe(0);
    // A statement error aborts the transaction; the connection goes back clean.
    await expect(
      sqlTransaction(db, async (tx) => tx.$queryRaw`SELECT 1 / 0`),
    ).rejects.toThrow(/division by zero/);
    for (let i = 0; i < 12; i++)
      await sqlTransaction(db, async (tx) => tx.$queryRaw`SELECT 1`);
    expect(db.pool.totalCount).toBeLessThanOrEqual(10);
  });

  it("fails the transaction, not the process, when its connection is lost mid-way; the pool serves on", async () => {
    const lost = sqlTransaction(db, async (tx) => {
      const [me] = await tx.$queryRaw<{ pid: number }[]>`
        SELECT pg_backend_pid() AS pid`;
      await db.sql.$queryRaw`SELECT pg_terminate_backend(${me!.pid}::int)`;
      await tx.$queryRaw`SELECT 1`;
    });
    await expect(lost).rejects.toThrow();
    const [one] = await sqlTransaction(
      db,
      async (tx) => tx.$queryRaw<{ one: number }[]>`SELECT 1 AS one`,
    );
    expect(one!.one).toBe(1);
  });

  it("reads every column type the run path uses as Prisma's raw queries do", async () => {
    const probe = (tx: typeof db.sql | typeof db) =>
      tx.$queryRaw<Record<string, unknown>[]>`
        SELECT 9007199254740993::int8 AS big, 7::int AS small, 1.5::float8 AS real,
          '{"a": [1, "x"]}'::jsonb AS doc, ${new Date("2026-01-02T03:04:05.678Z")}::timestamptz AS at,
          ${["a", "b"]}::text[] AS names,
          NULL::int8 AS nothing, true AS yes`;
    const [ours] = await probe(db.sql);
    const [prisma] = await probe(db);
    expect(ours).toEqual(prisma);
    expect(ours!.big).toBe(9007199254740993n);
    // bytea (result chunks) only here: Prisma's raw queries cannot read it
    // over the pg adapter ("Cannot serialize value of type object as Bytes").
    const [chunk] = await db.sql.$queryRaw<{ bytes: Buffer }[]>`
      SELECT ${new Uint8Array([1, 2, 3])}::bytea AS bytes`;
    expect([...chunk!.bytes]).toEqual([1, 2, 3]);
  });
});

describe("appendRawEvents", () => {
  const queued = (runId: string) =>
    domainEvents.event(streams.run(runId), "run.queued", {
      runId,
      batchId: "b1",
      workerId: "w1",
    });

  it("turns a concurrent writer's append at the same version into VersionConflictError naming the stream", async () => {
    const append = () =>
      appendRawEvents(
        db,
        [
          {
            stream: streams.run("r1"),
            expectedVersion: 0,
            events: [queued("r1")],
          },
        ],
        projectRunEvents,
      );
    const outcomes = await Promise.allSettled([append(), append(), append()]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === "rejected") {
        expect(o.reason).toBeInstanceOf(VersionConflictError);
        expect((o.reason as Error).message).toContain("run-r1");
      }
    expect(await count(streams.run("r1"))).toBe(1);
  });

  it("refuses, and writes nothing for, an event that is not a run's (its projection needs the ORM)", async () => {
    const stream = streams.user("u1");
    await expect(
      appendRawEvents(
        db,
        [
          {
            stream,
            events: [
              domainEvents.event(stream, "account.created", {
                userId: "u1",
                email: "u1@example.org",
                name: "U",
                role: "researcher",
              }),
            ],
          },
        ],
        projectRunEvents,
      ),
    ).rejects.toThrow(/account\.created is not an event of a run's path/);
    expect(await count(stream)).toBe(0);
  });
});
