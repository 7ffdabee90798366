import type { Database } from "../create-database.ts";
import type { Run } from "../generated/prisma/client.ts";

/** The runs of an experiment (any version, any requester), newest first, at most `limit`. */
export async function listExperimentRuns(
  db: Database,
  experimentId: string,
  limit: number,
): Promise<Run[]> {
  return db.run.findMany({
    where: { experimentId },
    orderBy: { requestedAt: "desc" },
    take: limit,
  });
}
