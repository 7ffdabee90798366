/**
 * A worker process for crash tests: the real worker (runWorker, with the
 * same env as main.ts) that holds every batch after its runs' `started`
 * events, so the test can SIGKILL it in the middle of one. The fault lives
 * here, in test code; production code only offers the hook.
 */
import { parseWorkerEnv } from "../env.ts";
import { runWorker } from "../run-worker.ts";

/** Long enough for any test to kill the process while it waits. */
const HOLD_MS = 10 * 60_000;

await runWorker(parseWorkerEnv(process.env), {
  batch: {
    afterBatchStarted: async (batchId) => {
      console.log(`[held-batch-worker] holding batch ${batchId}`);
      await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    },
  },
});
