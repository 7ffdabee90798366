import { randomUUID } from "node:crypto";
import { ApplicationFailure } from "@temporalio/activity";
import { Client, Connection, WorkflowFailedError } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import type {
  PlatformActivities,
  ProbeInput,
  ProbeResult,
} from "./platform-activities.ts";
import type { probeWorkflow } from "./probe-workflow.ts";

// The workflow runs on the real Temporal server; the activities are test
// implementations, since what is under test is how the workflow drives them
// (retries, non-retryable failures). The real activities are tested in apps/worker.
const taskQueue = `test-workflows-${randomUUID()}`;
const attempts = new Map<string, number>();
const activities: PlatformActivities = {
  recordProbe(input: ProbeInput): Promise<ProbeResult> {
    const n = (attempts.get(input.probeId) ?? 0) + 1;
    attempts.set(input.probeId, n);
    if (input.note === "invalid") {
      return Promise.reject(
        ApplicationFailure.nonRetryable(
          "invalid probe input: note",
          "InvalidProbeInput",
        ),
      );
    }
    if (input.note === "flaky" && n < 3)
      return Promise.reject(new Error(`transient failure ${n}`));
    return Promise.resolve({
      probeId: input.probeId,
      stream: `probe-${input.probeId}`,
      position: "1",
      version: 1,
      workerId: "test",
      recordedAt: input.requestedAt,
    });
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

const start = (note?: string) => {
  const probeId = randomUUID();
  return {
    probeId,
    result: client.workflow.execute<typeof probeWorkflow>("probeWorkflow", {
      taskQueue,
      workflowId: `probe-${probeId}`,
      args: [
        {
          probeId,
          requestedAt: new Date().toISOString(),
          ...(note ? { note } : {}),
        },
      ],
    }),
  };
};

it("returns the activity's result", async () => {
  const { probeId, result } = start();
  await expect(result).resolves.toMatchObject({
    probeId,
    stream: `probe-${probeId}`,
  });
  expect(attempts.get(probeId)).toBe(1);
});

it("retries transient activity failures until the activity succeeds", async () => {
  const { probeId, result } = start("flaky");
  await expect(result).resolves.toMatchObject({ probeId });
  expect(attempts.get(probeId)).toBe(3);
});

it("fails at once, without retrying, on invalid input", async () => {
  const { probeId, result } = start("invalid");
  const error = await result.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  // WorkflowFailedError <- ActivityFailure <- ApplicationFailure (the activity's own).
  const activityFailure = (error as WorkflowFailedError).cause;
  expect(activityFailure?.cause).toMatchObject({
    message: "invalid probe input: note",
    type: "InvalidProbeInput",
    nonRetryable: true,
  });
  expect(attempts.get(probeId)).toBe(1);
});
