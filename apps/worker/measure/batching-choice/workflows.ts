/**
 * The two ways of batching runs that issue 5 asked to compare, reduced to their
 * scheduling: the same runs, the same batching window, an activity that does
 * no model work. (Loupe ships the first; see measure.ts and the worker README.)
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
} from "@temporalio/workflow";

interface Activities {
  /** In-worker batching: each run's activity waits in the worker's batcher. */
  executeInWorker(runId: string): Promise<string>;
  /** Batcher workflow: one activity for the whole batch. */
  executeBatch(runIds: string[]): Promise<string[]>;
}

const acts = proxyActivities<Activities>({ startToCloseTimeout: "1 minute" });

/** A run whose activity is batched inside the worker (what Loupe does). */
export async function inWorkerRun(runId: string): Promise<string> {
  return acts.executeInWorker(runId);
}

export const enqueue =
  defineSignal<[{ runId: string; workflowId: string }]>("enqueue");
export const done = defineSignal<[string]>("done");

/** A run that hands itself to its model's batcher workflow and waits for its result. */
export async function batchedRun(): Promise<string> {
  let result: string | undefined;
  setHandler(done, (r) => {
    result = r;
  });
  // The caller signals-with-start the batcher on this run's behalf (see measure.ts).
  await condition(() => result !== undefined);
  return result!;
}

/**
 * The per-model batcher workflow: collects enqueued runs until `quietMs`
 * passes without a new one, runs them as one activity, signals each run its
 * result; continues as new every `batchesPerRun` batches to bound its history.
 */
export async function batcherWorkflow(
  quietMs: number,
  batchesPerRun: number,
  carried: { runId: string; workflowId: string }[] = [],
): Promise<void> {
  const queue = [...carried];
  let arrived = 0;
  setHandler(enqueue, (item) => {
    queue.push(item);
    arrived++;
  });
  for (let batches = 0; batches < batchesPerRun; batches++) {
    await condition(() => queue.length > 0);
    // Quiet window: wait until no run arrived for quietMs.
    for (;;) {
      const before = arrived;
      await sleep(quietMs);
      if (arrived === before) break;
    }
    const batch = queue.splice(0, queue.length);
    const results = await acts.executeBatch(batch.map((b) => b.runId));
    await Promise.all(
      batch.map((b, i) =>
        getExternalWorkflowHandle(b.workflowId).signal(done, results[i]!),
      ),
    );
  }
  await continueAsNew<typeof batcherWorkflow>(quietMs, batchesPerRun, queue);
}
