import type { ApiServices } from "../services.ts";
import { startRunWorkflow } from "./submit-run.ts";

/**
 * The sweeper: starts the workflows of runs that were recorded but never
 * started. A submit records its run (with its reservation) before it starts
 * the run's workflow, and gives up on the start after a deadline when
 * Temporal is stalled or down, or an API process may die in between: such a
 * run stays `requested`. The web app calls this at start-up and once a minute
 * (never on a request's path); starting a workflow that exists is a no-op, so
 * every web replica may run it at once. Returns the runs whose workflow it
 * started (not those that had one).
 */
export async function startUnscheduledRuns(
  services: ApiServices,
  { olderThanMs }: { olderThanMs: number },
): Promise<string[]> {
  const stale = await services.db.run.findMany({
    where: {
      status: "requested",
      requestedAt: { lt: new Date(Date.now() - olderThanMs) },
    },
    select: {
      id: true,
      userId: true,
      model: true,
      modelHash: true,
      graphHash: true,
    },
    orderBy: { requestedAt: "asc" },
    take: 500,
  });
  const started: string[] = [];
  for (const run of stale) {
    const outcome = await startRunWorkflow(services, {
      runId: run.id,
      userId: run.userId,
      model: run.model,
      modelHash: run.modelHash,
      graphHash: run.graphHash,
    });
    // Temporal still does not answer: the next sweep tries again.
    if (outcome === "unavailable") break;
    if (outcome === "started") started.push(run.id);
  }
  return started;
}
