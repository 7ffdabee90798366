import type { Database } from "../create-database.ts";
import type { ExperimentVersion } from "../generated/prisma/client.ts";

/** One committed version of an experiment (its graph, model and message), or null. */
export async function findExperimentVersion(
  db: Database,
  experimentId: string,
  version: number,
): Promise<ExperimentVersion | null> {
  return db.experimentVersion.findUnique({
    where: { experimentId_version: { experimentId, version } },
  });
}
