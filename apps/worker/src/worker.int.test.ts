import { randomUUID } from "node:crypto";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import type { probeWorkflow } from "@loupe/workflows";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createActivities } from "./activities/create-activities.ts";
import { workflowsEntry } from "./workflow-source.ts";

// The worker's real parts end to end: Temporal server, bundled workflows, the
// activities and PostgreSQL.
const db = connectTestDatabase(inject("databaseUrl"));
const taskQueue = `test-worker-${randomUUID()}`;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;

beforeAll(async () => {
  await truncateAll(db);
  const address = inject("temporalAddress");
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowsPath: workflowsEntry(),
    activities: createActivities({ db, workerId: "int-worker" }),
  });
  running = worker.run();
  connection = await Connection.connect({ address });
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await connection.close();
  await db.$disconnect();
});

it("runs the probe workflow: its activity appends the event in PostgreSQL", async () => {
  const client = new Client({ connection });
  const probeId = randomUUID();
  const result = await client.workflow.execute<typeof probeWorkflow>(
    "probeWorkflow",
    {
      taskQueue,
      workflowId: `probe-${probeId}`,
      args: [{ probeId, requestedAt: new Date().toISOString() }],
    },
  );
  expect(result).toMatchObject({ probeId, workerId: "int-worker", version: 1 });
  const event = await db.event.findUniqueOrThrow({
    where: { stream_version: { stream: `probe-${probeId}`, version: 1 } },
  });
  expect(event.type).toBe("ProbeRecorded");
  expect(event.position.toString()).toBe(result.position);
});
