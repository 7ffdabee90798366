import { randomUUID } from "node:crypto";
import { finishRun, quotaStanding, requestRun } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { seedAdmin } from "../auth/accounts.ts";
import { createApiServices } from "../services.ts";
import { reconcileUnscheduledRuns } from "./reconcile-runs.ts";
import { runWorkflowId } from "./submit-run.ts";

const taskQueue = `reconcile-unpolled-${randomUUID()}`;
const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
});
const db = connectTestDatabase(inject("databaseUrl"));
beforeAll(() => truncateAll(db));
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

it("ends a run whose workflow never started and releases its reservation; leaves scheduled runs alone", async () => {
  const { userId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const request = (runId: string) =>
    requestRun(db, {
      runId,
      userId,
      model: "m",
      modelHash: "sha256:m",
      graph: {},
      graphHash: `sha256:${runId}`,
      experiment: null,
      estimatedSeconds: 1,
    });
  const lost = randomUUID();
  const scheduled = randomUUID();
  await request(lost); // as if the API died before starting its workflow
  await request(scheduled);
  await services.temporal.client.workflow.start("runWorkflow", {
    taskQueue, // nobody polls it: the workflow exists, and waits
    workflowId: runWorkflowId(scheduled),
    args: [{}],
  });
  expect((await quotaStanding(db, userId)).activeRuns).toBe(2);

  expect(await reconcileUnscheduledRuns(services, { olderThanMs: 0 })).toEqual([
    lost,
  ]);
  const run = await db.run.findUniqueOrThrow({ where: { id: lost } });
  expect(run).toMatchObject({ status: "failed" });
  expect(run.error).toMatch(/^SCHEDULING_LOST/);
  expect(
    (await db.run.findUniqueOrThrow({ where: { id: scheduled } })).status,
  ).toBe("requested");
  expect((await quotaStanding(db, userId)).activeRuns).toBe(1);
  // Idempotent, and young runs are left to their API call.
  expect(await reconcileUnscheduledRuns(services, { olderThanMs: 0 })).toEqual(
    [],
  );
  await request(randomUUID());
  expect(
    await reconcileUnscheduledRuns(services, { olderThanMs: 60_000 }),
  ).toEqual([]);
  await services.temporal.client.workflow
    .getHandle(runWorkflowId(scheduled))
    .terminate("test over");
  await finishRun(db, scheduled, { status: "cancelled", by: userId });
});
