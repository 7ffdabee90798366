import type { Database } from "../create-database.ts";

/** Whether a user has starred an experiment (a row of experiment_stars). */
export async function isExperimentStarred(
  db: Database,
  experimentId: string,
  userId: string,
): Promise<boolean> {
  const star = await db.experimentStar.findUnique({
    where: { experimentId_userId: { experimentId, userId } },
  });
  return star !== null;
}
