import { randomUUID } from "node:crypto";
import { finishRun, quotaStanding, requestRun } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { seedAdmin } from "../auth/accounts.ts";
import { createApiServices } from "../services.ts";
import { startUnscheduledRuns } from "./start-unscheduled-runs.ts";
import { runWorkflowId } from "./submit-run.ts";

const taskQueue = `sweeper-unpolled-${randomUUID()}`;
const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: taskQueue,
});
const db = connectTestDatabase(inject("databaseUrl"));
beforeAll(() => truncateAll(db));
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

it("starts the workflow of a run recorded without one, once; leaves started runs and young ones alone", async () => {
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
      graph: { json: "{}", types: {} },
      graphHash: `sha256:${runId}`,
      experiment: null,
      requestId: null,
      estimatedSeconds: 1,
    });
  const lost = randomUUID();
  const scheduled = randomUUID();
  await request(lost); // as if Temporal had not answered its submit in time
  await request(scheduled);
  await services.temporal.client.workflow.start("runWorkflow", {
    taskQueue, // nobody polls it: the workflow exists, and waits
    workflowId: runWorkflowId(scheduled),
    args: [{}],
  });

  expect(await startUnscheduledRuns(services, { olderThanMs: 0 })).toEqual([
    lost,
  ]);
  const description = await services.temporal.client.workflow
    .getHandle(runWorkflowId(lost))
    .describe();
  expect(description.type).toBe("runWorkflow");
  // Its reservation is kept: the run will run, and be settled then.
  expect((await quotaStanding(db, userId)).activeRuns).toBe(2);
  // Idempotent, and young runs are left to their submit.
  expect(await startUnscheduledRuns(services, { olderThanMs: 0 })).toEqual([]);
  await request(randomUUID());
  expect(await startUnscheduledRuns(services, { olderThanMs: 60_000 })).toEqual(
    [],
  );
  for (const runId of [lost, scheduled]) {
    await services.temporal.client.workflow
      .getHandle(runWorkflowId(runId))
      .terminate("test over");
    await finishRun(db, runId, { status: "cancelled", by: userId });
  }
});
