import { finishRun } from "@loupe/db";
import { WorkflowNotFoundError } from "@temporalio/client";
import type { ApiServices } from "../services.ts";
import { runWorkflowId } from "./submit-run.ts";

/**
 * Ends runs whose workflow never started: a request is committed (with its
 * reservation) before its workflow is started, so an API process that dies in
 * between leaves the run `requested` with its quota held. Runs still
 * `requested` after `olderThanMs` whose workflow Temporal does not know are
 * ended as failed (SCHEDULING_LOST) and their reservation released; finishRun
 * makes this safe to run from every web replica at once. Returns the runs ended.
 */
export async function reconcileUnscheduledRuns(
  services: ApiServices,
  { olderThanMs }: { olderThanMs: number },
): Promise<string[]> {
  const stale = await services.db.run.findMany({
    where: {
      status: "requested",
      requestedAt: { lt: new Date(Date.now() - olderThanMs) },
    },
    select: { id: true },
    take: 500,
  });
  const ended: string[] = [];
  for (const { id } of stale) {
    try {
      await services.temporal.client.workflow
        .getHandle(runWorkflowId(id))
        .describe();
      continue; // scheduled: its workflow records what happens next
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    const outcome = await finishRun(services.db, id, {
      status: "failed",
      code: "SCHEDULING_LOST",
      reason: "the run was recorded but its workflow was never started",
    });
    if (outcome.appended) ended.push(id);
  }
  return ended;
}
