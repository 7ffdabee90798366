import { afterAll, expect, inject, it } from "vitest";
import { appendEvent, appendEvents } from "./append-events.ts";
import { StreamWaiter } from "./stream-waiter.ts";
import { connectTestDatabase } from "../testing/index.ts";

const url = inject("databaseUrl");
const db = connectTestDatabase(url);
const waiter = new StreamWaiter(url);
afterAll(async () => {
  await waiter.close();
  await db.$disconnect();
});

/** A wait that has begun listening (the first wait connects the listener). */
async function waiting(stream: string, timeoutMs: number) {
  const wait = waiter.next(stream, timeoutMs);
  await new Promise((r) => setTimeout(r, 200));
  return wait;
}

it("wakes a wait at an append to its stream, and only to its stream", async () => {
  await waiter.next("warm-up", 1); // connects
  const own = waiting("waiter-a", 30_000);
  const other = waiting("waiter-b", 1_500);
  await appendEvent(db, { stream: "waiter-a", type: "T", payload: {} });
  await expect(own).resolves.toBe(true);
  // An append elsewhere leaves b waiting until its timeout.
  await expect(other).resolves.toBe(false);
});

it("wakes every wait when an append writes more streams than a notification names", async () => {
  const wait = waiting("waiter-c", 30_000);
  const many = Array.from({ length: 400 }, (_, i) => ({
    stream: `a-rather-long-stream-name-to-fill-the-payload-${i}`,
    events: [{ type: "T", payload: {} }],
  }));
  await appendEvents(db, many);
  await expect(wait).resolves.toBe(true);
});

it("ends a wait at its timeout, and at once after close", async () => {
  await expect(waiter.next("quiet", 100)).resolves.toBe(false);
  const closed = new StreamWaiter(url);
  await closed.close();
  await expect(closed.next("quiet", 60_000)).resolves.toBe(false);
});
