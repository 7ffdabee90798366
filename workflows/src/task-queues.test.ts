import { expect, it } from "vitest";
import {
  PLATFORM_TASK_QUEUE,
  batchWorkflowId,
  modelTaskQueue,
} from "./task-queues.ts";

// Workers and the API meet on these names: a change strands running batches.
it.each([
  ["the platform's queue", PLATFORM_TASK_QUEUE, "loupe-platform"],
  ["a model's queue", modelTaskQueue("gpt2-small"), "loupe-model-gpt2-small"],
  ["a batch's workflow id", batchWorkflowId("7f3c"), "batch-7f3c"],
])("%s is %s", (_, actual, expected) => {
  expect(actual).toBe(expected);
});
