import { randomUUID } from "node:crypto";
import { ApplicationFailure } from "@temporalio/activity";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type { BatchActivities, BatchRequest } from "./batch-activities.ts";
import type { batchWorkflow } from "./batch-workflow.ts";
import { batchWorkflowId } from "./task-queues.ts";

// The batch workflow on the real Temporal server, with test activities: what
// is under test is how it drives them (local activities, retries, the
// non-retryable model errors, failing the batch's runs after its attempts).
// The real activities are tested in apps/worker.
const taskQueue = `test-batches-${randomUUID()}`;
/** What each batch's executeBatch does at each attempt (by batch id). */
const plans = new Map<string, (attempt: number) => Promise<void>>();
const attempts = new Map<string, number>();
const failed = new Map<string, string[]>();

const activities: BatchActivities = {
  async executeBatch(batch) {
    const n = (attempts.get(batch.batchId) ?? 0) + 1;
    attempts.set(batch.batchId, n);
    await plans.get(batch.batchId)?.(n);
    return { completed: batch.runs.length - 1, failed: 1, skipped: 0 };
  },
  failBatch({ batch, reason }) {
    failed.set(batch.batchId, [...(failed.get(batch.batchId) ?? []), reason]);
    return Promise.resolve();
  },
};

let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  const address = inject("temporalAddress");
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowsPath: new URL("./index.ts", import.meta.url).pathname,
    activities,
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await connection.close();
});

/** Runs a batch of 3 runs whose executeBatch follows `plan`. */
async function runBatch(plan?: (attempt: number) => Promise<void>) {
  const batch: BatchRequest = {
    batchId: randomUUID(),
    model: "facts",
    runs: ["r1", "r2", "r3"].map((runId) => ({
      runId,
      userId: "ada",
      modelHash: "sha256:m",
      graphHash: `sha256:${runId}`,
    })),
  };
  if (plan) plans.set(batch.batchId, plan);
  const outcome = await client.workflow.execute<typeof batchWorkflow>(
    "batchWorkflow",
    { taskQueue, workflowId: batchWorkflowId(batch.batchId), args: [batch] },
  );
  return {
    outcome,
    attempts: attempts.get(batch.batchId),
    failed: failed.get(batch.batchId),
  };
}

it("returns the batch's outcome as executeBatch counted it", async () => {
  expect(await runBatch()).toEqual({
    outcome: { completed: 2, failed: 1, skipped: 0 },
    attempts: 1,
    failed: undefined,
  });
});

it("runs the batch again after a transient failure (a worker lost mid-batch)", async () => {
  expect(
    await runBatch((n) =>
      n < 3 ? Promise.reject(new Error(`lost ${n}`)) : Promise.resolve(),
    ),
  ).toEqual({
    outcome: { completed: 2, failed: 1, skipped: 0 },
    attempts: 3,
    failed: undefined,
  });
});

it("fails the batch's runs, with the reason, at once when the worker does not host its model (UNKNOWN_MODEL, a code no retry fixes)", async () => {
  const reason =
    "batch b1 is of model facts, and this worker hosts other on that queue";
  expect(
    await runBatch(() =>
      Promise.reject(
        ApplicationFailure.create({ message: reason, type: "UNKNOWN_MODEL" }),
      ),
    ),
  ).toEqual({
    outcome: { completed: 0, failed: 3, skipped: 0 },
    attempts: 1,
    failed: [reason],
  });
});

it("fails the batch's runs with the last reason once its attempts are spent", async () => {
  expect(
    await runBatch((n) => Promise.reject(new Error(`engine crashed (${n})`))),
  ).toEqual({
    outcome: { completed: 0, failed: 3, skipped: 0 },
    attempts: 3,
    failed: ["engine crashed (3)"],
  });
});
