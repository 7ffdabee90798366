import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { connectTestDatabase, truncateAll } from "./testing/index.ts";
import { removeDeadWorkers } from "./remove-dead-workers.ts";
import {
  listWorkerStatuses,
  recordWorkerHeartbeat,
  removeWorkerHeartbeat,
} from "./worker-heartbeats.ts";

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

const report = {
  id: "w1",
  hostname: "host-a",
  pid: 42,
  taskQueues: ["loupe-platform"],
  models: ["tiny-gpt"],
  startedAt: new Date("2026-01-01T00:00:00Z"),
};

it("records a heartbeat, refreshes it, lists it while fresh and forgets it when removed", async () => {
  await recordWorkerHeartbeat(db, report);
  const first = await listWorkerStatuses(db, 60_000);
  expect(first).toEqual([
    expect.objectContaining({ ...report, lastSeenAt: expect.any(Date) }),
  ]);

  await recordWorkerHeartbeat(db, { ...report, models: [] });
  const second = await listWorkerStatuses(db, 60_000);
  expect(second).toHaveLength(1);
  expect(second[0]!.models).toEqual([]);
  expect(second[0]!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(
    first[0]!.lastSeenAt.getTime(),
  );

  await removeWorkerHeartbeat(db, "w1");
  expect(await listWorkerStatuses(db, 60_000)).toEqual([]);
});

it("leaves out workers not seen within the window", async () => {
  await recordWorkerHeartbeat(db, report);
  await db.workerHeartbeat.update({
    where: { id: "w1" },
    data: { lastSeenAt: new Date(Date.now() - 120_000) },
  });
  expect(await listWorkerStatuses(db, 60_000)).toEqual([]);
  expect(await listWorkerStatuses(db, 180_000)).toHaveLength(1);
});

it("removes the rows of this host's dead workers, and only those", async () => {
  await recordWorkerHeartbeat(db, { ...report, id: "alive", pid: 10 });
  await recordWorkerHeartbeat(db, { ...report, id: "dead", pid: 11 });
  await recordWorkerHeartbeat(db, {
    ...report,
    id: "elsewhere",
    hostname: "host-b",
    pid: 11,
  });
  const removed = await removeDeadWorkers(db, "host-a", (pid) => pid === 10);
  expect(removed).toEqual(["dead"]);
  expect(
    (await listWorkerStatuses(db, 60_000)).map((w) => w.id).sort(),
  ).toEqual(["alive", "elsewhere"]);
});
