import { finishRun } from "@loupe/db";
import type { ApiServices } from "../services.ts";
import { runWorkflowId } from "../runs/submit-run.ts";

/**
 * Ends the runs of a model that no worker will take any more (it was
 * unhosted): each waiting or running run fails with MODEL_UNHOSTED, its
 * reservation released (exactly once, as any ending), and its workflow is
 * cancelled. Returns how many it ended.
 */
export async function endRunsOfModel(
  services: ApiServices,
  model: string,
): Promise<number> {
  const { db, temporal } = services;
  const runs = await db.run.findMany({
    where: { model, status: { in: ["requested", "queued", "running"] } },
    select: { id: true },
  });
  let ended = 0;
  for (const run of runs) {
    const outcome = await finishRun(db, run.id, {
      status: "failed",
      code: "MODEL_UNHOSTED",
      reason: `model ${model} was unhosted by an administrator`,
    });
    if (!outcome.appended) continue;
    ended++;
    await temporal.client.workflow
      .getHandle(runWorkflowId(run.id))
      .cancel()
      .catch(() => undefined); // already closed: nothing left to stop
  }
  return ended;
}
