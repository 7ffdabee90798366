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

/** Watches `stream`; resolves once watching, with the watch's `event`. */
async function waiting(stream: string, timeoutMs: number) {
  const { event } = await waiter.watch(stream, timeoutMs);
  return { event };
}

it("wakes a wait at an append to its stream, and only to its stream", async () => {
  const own = await waiting("waiter-a", 30_000);
  const other = await waiting("waiter-b", 1_500);
  await appendEvent(db, { stream: "waiter-a", type: "T", payload: {} });
  await expect(own.event).resolves.toBe(true);
  // An append elsewhere leaves b waiting until its timeout.
  await expect(other.event).resolves.toBe(false);
});

it("wakes every wait when an append writes more streams than a notification names", async () => {
  const wait = await waiting("waiter-c", 30_000);
  const many = Array.from({ length: 400 }, (_, i) => ({
    stream: `a-rather-long-stream-name-to-fill-the-payload-${i}`,
    events: [{ type: "T", payload: {} }],
  }));
  await appendEvents(db, many);
  await expect(wait.event).resolves.toBe(true);
});

it("ends a wait at its timeout, and at once after close", async () => {
  await expect((await waiting("quiet", 100)).event).resolves.toBe(false);
  const closed = new StreamWaiter(url);
  await closed.close();
  await expect((await closed.watch("quiet", 60_000)).event).resolves.toBe(
    false,
  );
});
