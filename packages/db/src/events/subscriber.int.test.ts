import pg from "pg";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { appendEvent, type StoredEvent } from "./append-events.ts";
import { defineEvent, EventCatalog } from "./event-catalog.ts";
import { EventSubscriber } from "./subscriber.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";

const url = inject("databaseUrl");
const db = connectTestDatabase(url);

beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

/**
 * Waits until every committed event is below the horizon catchUp reads to
 * (pg_snapshot_xmin). The horizon is the whole server's: while another
 * database's transaction is open (npm test runs every package's tests side by
 * side on one PostgreSQL), it stays behind this test's events, and catchUp
 * rightly hands them over later. Call it only while this test holds no open
 * transaction of its own.
 */
async function belowHorizon(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await db.$queryRaw<{ below: boolean }[]>`
      SELECT coalesce(max(tx_id) < pg_snapshot_xmin(pg_current_snapshot()), true) AS below
      FROM events`;
    if (row!.below) return;
    if (Date.now() > deadline)
      throw new Error(
        "the events' transactions stayed above the horizon for 30 s",
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A subscriber that records what it sees, in order. */
function recorder(name = "test") {
  const seen: StoredEvent[] = [];
  const subscriber = new EventSubscriber(db, name, (_tx, events) => {
    seen.push(...events);
    return Promise.resolve();
  });
  return { seen, subscriber };
}

/** An open transaction on its own connection that has appended one event. */
async function openAppend(stream: string, firstWriteElsewhere = false) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("BEGIN");
  // A write before the event takes this transaction's id early (the adversarial case).
  if (firstWriteElsewhere)
    await client.query(
      "INSERT INTO subscription_checkpoints (name) VALUES ($1)",
      [`early-${stream}`],
    );
  return {
    client,
    append: async () =>
      (
        await client.query<{ position: string }>(
          "INSERT INTO events (stream, version, type, payload) VALUES ($1, 1, 'T', '{}') RETURNING position",
          [stream],
        )
      ).rows[0]!.position,
    commit: async () => {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

describe("EventSubscriber", () => {
  it("hands every event over once, in order, and resumes from its checkpoint", async () => {
    for (let i = 0; i < 5; i++)
      await appendEvent(db, { stream: "s", type: "T", payload: { i } });
    const { seen, subscriber } = recorder();
    await belowHorizon();
    expect(await subscriber.catchUp()).toBe(5);
    expect(seen.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    await appendEvent(db, { stream: "s", type: "T", payload: { i: 5 } });
    await belowHorizon();
    expect(await subscriber.catchUp()).toBe(1);
    // A new subscriber object with the same name starts from the stored checkpoint.
    const again = recorder();
    expect(await again.subscriber.catchUp()).toBe(0);
    expect((await again.subscriber.checkpoint()).position).toBe(
      seen.at(-1)!.position,
    );
  });

  it("does not skip an event whose transaction commits after a later one", async () => {
    const { seen, subscriber } = recorder();
    const early = await openAppend("early");
    const earlyPosition = await early.append();
    const late = await openAppend("late");
    const latePosition = await late.append();
    expect(BigInt(latePosition)).toBeGreaterThan(BigInt(earlyPosition));
    await late.commit(); // the later-numbered event commits first
    await subscriber.catchUp();
    await early.commit();
    await belowHorizon();
    await subscriber.catchUp();
    expect(seen.map((e) => e.stream).sort()).toEqual(["early", "late"]);
  });

  it("does not skip one when the committing transaction is older than the open one", async () => {
    const { seen, subscriber } = recorder();
    // `older` takes its transaction id first, but writes its event last.
    const older = await openAppend("older", true);
    const newer = await openAppend("newer");
    const newerPosition = await newer.append();
    const olderPosition = await older.append();
    expect(BigInt(olderPosition)).toBeGreaterThan(BigInt(newerPosition));
    await older.commit();
    await subscriber.catchUp();
    await newer.commit();
    await belowHorizon();
    await subscriber.catchUp();
    expect(seen.map((e) => e.stream).sort()).toEqual(["newer", "older"]);
  });

  it("moves its checkpoint only with a successful batch", async () => {
    await appendEvent(db, { stream: "s", type: "T", payload: {} });
    let fail = true;
    const handled: bigint[] = [];
    const subscriber = new EventSubscriber(db, "flaky", (_tx, events) => {
      if (fail) return Promise.reject(new Error("projection failed"));
      handled.push(...events.map((e) => e.position));
      return Promise.resolve();
    });
    await belowHorizon();
    await expect(subscriber.catchUp()).rejects.toThrow("projection failed");
    expect((await subscriber.checkpoint()).position).toBe(0n);
    fail = false;
    expect(await subscriber.catchUp()).toBe(1);
    expect(handled).toHaveLength(1);
  });

  it("wakes on an append while running (NOTIFY as a hint, polling otherwise)", async () => {
    const { seen, subscriber } = recorder("live");
    await subscriber.start(url);
    try {
      await appendEvent(db, { stream: "live", type: "T", payload: {} });
      const from = Date.now();
      // Polling stops at the first event seen; 30 s only bounds a horizon held
      // back by another database's open transaction (see belowHorizon).
      while (seen.length === 0 && Date.now() - from < 30_000)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen).toHaveLength(1);
    } finally {
      await subscriber.stop();
    }
  });
});

describe("EventCatalog", () => {
  const renamed = defineEvent({
    type: "experiment.created",
    version: 2,
    schema: z.object({ title: z.string().min(1), owner: z.string() }),
    upcasters: {
      1: (p) => {
        const { name, ...rest } = p as { name: string; owner: string };
        return { ...rest, title: name };
      },
    },
  });
  const catalog = new EventCatalog([renamed]);

  it("stamps new payloads with their schema version and upcasts old ones on read", async () => {
    const current = await appendEvent(
      db,
      catalog.event("e-1", "experiment.created", {
        title: "Paris",
        owner: "u",
      }),
    );
    const old = await appendEvent(db, {
      stream: "e-2",
      type: "experiment.created",
      payload: { name: "Rome", owner: "u" },
      metadata: { schema: 1 },
    });
    expect(catalog.parse(current).payload).toEqual({
      title: "Paris",
      owner: "u",
    });
    expect(catalog.parse(old).payload).toEqual({ title: "Rome", owner: "u" });
  });

  it("refuses an invalid payload on write and names the field, and unknown types on read", async () => {
    expect(() =>
      catalog.event("e-3", "experiment.created", { title: "", owner: "u" }),
    ).toThrow(/experiment\.created: title:/);
    const unknown = await appendEvent(db, {
      stream: "e-4",
      type: "nope",
      payload: {},
    });
    expect(() => catalog.parse(unknown)).toThrow(/unknown type "nope"/);
  });
});
