import type { Database } from "../create-database.ts";
import type { Experiment } from "../generated/prisma/client.ts";

/** Every experiment an account owns, whatever its visibility, most recently updated first. */
export async function listOwnedExperiments(
  db: Database,
  ownerId: string,
): Promise<Experiment[]> {
  return db.experiment.findMany({
    where: { ownerId },
    orderBy: { updatedAt: "desc" },
  });
}
