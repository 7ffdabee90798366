import { appendOnce, domainEvents, streams, type Database } from "@loupe/db";
import type { RunActivities } from "@loupe/workflows";

/** The run workflow's bookkeeping activities: each event appended exactly once. */
export function createRunActivities(deps: { db: Database }): RunActivities {
  const { db } = deps;
  return {
    async recordRunQueued({ runId }) {
      await appendOnce(
        db,
        domainEvents.event(streams.run(runId), "run.queued", { runId }),
      );
    },
    async recordRunCompleted({ runId, resultHash, resultBytes, metrics }) {
      await appendOnce(
        db,
        domainEvents.event(streams.run(runId), "run.completed", {
          runId,
          resultHash,
          resultBytes,
          cached: false,
          metrics,
        }),
      );
    },
    async recordRunFailed({ runId, code, reason }) {
      await appendOnce(
        db,
        domainEvents.event(streams.run(runId), "run.failed", {
          runId,
          code,
          reason,
        }),
      );
    },
  };
}
