import { finishRuns } from "@loupe/db";
import { LIVE_RUN_STATUSES } from "@loupe/graph";
import type { ApiServices } from "../services.ts";

/**
 * Ends the runs of a model that no worker will take any more (it was
 * unhosted): each waiting or running run fails with MODEL_UNHOSTED, its
 * reservation released (exactly once, as any ending; a batch that still runs
 * one records nothing for it). Returns how many it ended.
 */
export async function endRunsOfModel(
  services: ApiServices,
  model: string,
): Promise<number> {
  const { db } = services;
  const runs = await db.run.findMany({
    where: { model, status: { in: [...LIVE_RUN_STATUSES] } },
    select: { id: true },
  });
  const ended = await finishRuns(
    db,
    runs.map((run) => ({
      runId: run.id,
      outcome: {
        status: "failed",
        code: "MODEL_UNHOSTED",
        reason: `model ${model} was unhosted by an administrator`,
      },
    })),
  );
  return ended.filter((e) => e.appended).length;
}
