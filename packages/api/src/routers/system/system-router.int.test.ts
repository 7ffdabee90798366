import { recordWorkerHeartbeat, appendEvent } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { Principal } from "../../auth/principal.ts";
import { createApiContext } from "../../context.ts";
import { createCaller } from "../../root-router.ts";
import { createApiServices, type ApiServices } from "../../services.ts";

const live = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
});
// Nothing listens on port 1: the API must report Temporal down, not hang or throw.
const noTemporal = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: "127.0.0.1:1",
  temporalNamespace: "default",
});
/** Health is public; the event log is for administrators. */
const ADMIN: Principal = {
  userId: "admin",
  role: "admin",
  access: "approved",
  via: { kind: "session" },
};
const callerOf = (services: ApiServices, principal: Principal | null = null) =>
  createCaller(createApiContext(services, principal));
const db = connectTestDatabase(inject("databaseUrl"));

beforeEach(() => truncateAll(db));
afterAll(async () => {
  await live.close();
  await noTemporal.close();
  await db.$disconnect();
});

describe("system.health", () => {
  it("reports the database and Temporal healthy, with versions", async () => {
    const report = await callerOf(live).system.health();
    const byPart = Object.fromEntries(report.parts.map((p) => [p.part, p]));
    expect(byPart.database).toMatchObject({
      healthy: true,
      detail: expect.stringMatching(
        /^PostgreSQL \d+.*, \d+ migrations? applied$/,
      ),
    });
    expect(byPart.temporal).toMatchObject({
      healthy: true,
      detail: expect.stringMatching(/^server \d+\.\d+/),
    });
  });

  it("reports no workers as an unhealthy workers part", async () => {
    const report = await callerOf(live).system.health();
    expect(report.workers).toEqual([]);
    expect(report.parts.find((p) => p.part === "workers")).toMatchObject({
      healthy: false,
      detail: "no worker has reported in the last 10 minutes",
    });
    expect(report.healthy).toBe(false);
  });

  it("shows a worker that heartbeats but does not poll Temporal as unhealthy", async () => {
    await recordWorkerHeartbeat(db, {
      id: "ghost",
      hostname: "h",
      pid: 1,
      taskQueues: ["loupe-platform"],
      models: [],
      startedAt: new Date(),
    });
    const report = await callerOf(live).system.health();
    expect(report.workers).toEqual([
      expect.objectContaining({
        id: "ghost",
        healthy: false,
        pollingTemporal: false,
        detail: "alive, but not polling Temporal",
        models: [],
      }),
    ]);
  });

  it("reports Temporal unhealthy, with the reason, when it cannot be reached", async () => {
    const report = await callerOf(noTemporal).system.health();
    const temporal = report.parts.find((p) => p.part === "temporal");
    expect(temporal?.healthy).toBe(false);
    expect(temporal?.detail).not.toBe("");
    expect(report.parts.find((p) => p.part === "database")?.healthy).toBe(true);
    expect(report.healthy).toBe(false);
  });
});

describe("system.recentEvents", () => {
  it("lists the newest events first, with positions as strings", async () => {
    await appendEvent(db, { stream: "x", type: "A", payload: { n: 1 } });
    await appendEvent(db, { stream: "y", type: "B", payload: { n: 2 } });
    const events = await callerOf(live, ADMIN).system.recentEvents({
      limit: 10,
    });
    expect(events.map((e) => [e.stream, e.type, e.payload])).toEqual([
      ["y", "B", { n: 2 }],
      ["x", "A", { n: 1 }],
    ]);
    expect(typeof events[0]!.position).toBe("string");
  });

  it("rejects a limit out of range, naming it", async () => {
    await expect(
      callerOf(live, ADMIN).system.recentEvents({ limit: 0 }),
    ).rejects.toThrow(/limit/);
  });
});
