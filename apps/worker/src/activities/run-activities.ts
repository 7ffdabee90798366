import {
  domainEvents,
  finishRun,
  recordRunStep,
  streams,
  type Database,
} from "@loupe/db";
import type { RunActivities } from "@loupe/workflows";

/**
 * The run workflow's bookkeeping activities. Each records its fact exactly
 * once however often it is retried: a step is skipped when the stream has it
 * (or the run has ended), an ending is appended with its quota settlement
 * only when the run has no ending yet (see finishRun).
 */
export function createRunActivities(deps: { db: Database }): RunActivities {
  const { db } = deps;
  return {
    async recordRunQueued({ runId }) {
      await recordRunStep(
        db,
        domainEvents.event(streams.run(runId), "run.queued", { runId }),
      );
    },
    async recordRunCompleted({ runId, resultHash, resultBytes, metrics }) {
      const { status } = await finishRun(db, runId, {
        status: "completed",
        resultHash,
        resultBytes,
        metrics,
      });
      return { status };
    },
    async recordRunFailed({ runId, code, reason }) {
      await finishRun(db, runId, { status: "failed", code, reason });
    },
    async recordRunCancelled({ runId, by }) {
      await finishRun(db, runId, { status: "cancelled", by });
    },
  };
}
