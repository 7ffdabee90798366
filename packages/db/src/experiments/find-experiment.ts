import type { Database } from "../create-database.ts";
import type { Experiment } from "../generated/prisma/client.ts";

/**
 * An experiment's row (the read model of its stream), or null when there is
 * none. Whoever calls decides who may see it: private experiments are
 * returned like any other.
 */
export async function findExperiment(
  db: Database,
  experimentId: string,
): Promise<Experiment | null> {
  return db.experiment.findUnique({ where: { id: experimentId } });
}

/**
 * An experiment's row, for one the caller knows exists (it read it, or just
 * appended to its stream); throws Prisma's not-found error when it does not,
 * which is a bug, not a client's mistake.
 */
export async function getExperimentOrThrow(
  db: Database,
  experimentId: string,
): Promise<Experiment> {
  return db.experiment.findUniqueOrThrow({ where: { id: experimentId } });
}
