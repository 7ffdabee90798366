import { randomUUID } from "node:crypto";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { ApplicationFailure } from "@temporalio/activity";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { createActivities } from "./create-activities.ts";

const db = connectTestDatabase(inject("databaseUrl"));
const activities = createActivities({ db, workerId: "worker-a" });
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

describe("recordProbe", () => {
  it("appends one ProbeRecorded event to the probe's stream", async () => {
    const probeId = randomUUID();
    const result = await activities.recordProbe({
      probeId,
      requestedAt: "2026-11-27T10:00:00.000Z",
    });
    expect(result).toMatchObject({
      probeId,
      stream: `probe-${probeId}`,
      version: 1,
      workerId: "worker-a",
    });
    const events = await db.event.findMany({
      where: { stream: `probe-${probeId}` },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: "ProbeRecorded",
      version: 1,
      payload: {
        v: 1,
        probeId,
        requestedAt: "2026-11-27T10:00:00.000Z",
        workerId: "worker-a",
      },
    });
    expect(result.position).toBe(events[0]!.position.toString());
  });

  it("is idempotent: a retry returns the first event and appends nothing", async () => {
    const probeId = randomUUID();
    const input = { probeId, requestedAt: "2026-11-27T10:00:00.000Z" };
    const first = await activities.recordProbe(input);
    const retry = await createActivities({
      db,
      workerId: "worker-b",
    }).recordProbe(input);
    expect(retry).toEqual(first);
    expect(
      await db.event.count({ where: { stream: `probe-${probeId}` } }),
    ).toBe(1);
  });

  it.each([
    [
      { probeId: "has space", requestedAt: "2026-11-27T10:00:00.000Z" },
      "probeId: expected 1-64 letters, digits, _ or -",
    ],
    [
      { probeId: "p1", requestedAt: "yesterday" },
      "requestedAt: Invalid ISO datetime",
    ],
  ])(
    "rejects bad input %j without retries, naming the field",
    async (input, message) => {
      const error = await activities
        .recordProbe(input)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({
        nonRetryable: true,
        type: "InvalidProbeInput",
      });
      expect((error as Error).message).toBe(`invalid probe input: ${message}`);
      expect(await db.event.count()).toBe(0);
    },
  );
});
