import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { appendEvents } from "../events/append-events.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { requestRun } from "./request-run.ts";
import { DEFAULT_RUN_LIMITS } from "./run-limits.ts";
import { RunRequestListener } from "./run-request-listener.ts";

// A run request wakes the workers hosting its model (NOTIFY in the request's
// transaction, LISTEN in RunRequestListener), on a real PostgreSQL.
const databaseUrl = inject("databaseUrl");
const db = connectTestDatabase(databaseUrl);
const listener = new RunRequestListener(databaseUrl);
beforeAll(async () => {
  await truncateAll(db);
  await appendEvents(
    db,
    [
      {
        stream: streams.user("ada"),
        events: [
          domainEvents.event(streams.user("ada"), "quota.granted", {
            userId: "ada",
            by: "admin",
            computeSecondsPerDay: 100,
            maxConcurrentRuns: 10,
            maxRunsPerDay: 100,
            maxResultBytes: 10_000,
            ...DEFAULT_RUN_LIMITS,
          }),
        ],
      },
    ],
    projectDomainEvents,
  );
});
afterAll(async () => {
  await listener.close();
  await db.$disconnect();
});

const request = (runId: string, model: string, userId = "ada") =>
  requestRun(db, {
    runId,
    userId,
    model,
    modelHash: "sha256:m",
    graph: { json: "{}", types: {} },
    graphHash: `sha256:${runId}`,
    experiment: null,
    requestId: null,
    estimatedSeconds: 1,
  });

it("wakes a model's subscribers at its subscription and at each request of that model committed, and no one else", async () => {
  const woken = { facts: 0, other: 0, gone: 0 };
  await listener.subscribe("facts", () => woken.facts++);
  // Woken as the connection opens: requests made before it are claimed then.
  await expect.poll(() => woken.facts).toBe(1);
  await listener.subscribe("other", () => woken.other++);
  const unsubscribe = await listener.subscribe("facts", () => woken.gone++);
  unsubscribe();
  const other = woken.other;

  // A refused request (no quota) rolls back, and its notification with it.
  await expect(request("r0", "facts", "nobody")).rejects.toMatchObject({
    code: "QUOTA_EXCEEDED",
  });
  await request("r1", "facts");
  await expect.poll(() => woken.facts).toBe(2);
  await request("r2", "facts");
  await expect.poll(() => woken.facts).toBe(3);
  // Notifications arrive in commit order: had r0 notified, or had a request
  // of facts woken "other", it would have been seen by now.
  expect(woken.other).toBe(other);
  expect(woken.gone).toBe(0);
  await request("r3", "other");
  await expect.poll(() => woken.other).toBe(other + 1);
  expect(woken.facts).toBe(3);
});
