import type { Database } from "../create-database.ts";
import type { Experiment } from "../generated/prisma/client.ts";

/** Who lists experiments: an account (an administrator or not), or null for anonymous. */
export interface ExperimentReader {
  readonly userId: string;
  readonly admin: boolean;
}

/**
 * The experiments forked from one, oldest first, that `reader` may read:
 * public and unlisted forks, the reader's own, and every fork for an
 * administrator. At most `limit` (100 unless told).
 */
export async function listExperimentForks(
  db: Database,
  experimentId: string,
  reader: ExperimentReader | null,
  limit = 100,
): Promise<Experiment[]> {
  return db.experiment.findMany({
    where: {
      forkedFromId: experimentId,
      ...(reader?.admin
        ? {}
        : {
            OR: [
              { visibility: { in: ["public", "unlisted"] } },
              ...(reader ? [{ ownerId: reader.userId }] : []),
            ],
          }),
    },
    orderBy: { createdAt: "asc" },
    take: limit,
  });
}
