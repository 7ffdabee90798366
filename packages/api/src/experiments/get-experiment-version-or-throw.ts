import { findExperimentVersion, type Database } from "@loupe/db";
import { notFound } from "../errors/loupe-error.ts";

/**
 * A committed version of an experiment, or NOT_FOUND naming the version and
 * the experiment. Check first that the caller may read the experiment
 * (readableExperiment): this reads the version whoever asks.
 */
export async function getExperimentVersionOrThrow(
  db: Database,
  experimentId: string,
  version: number,
) {
  const row = await findExperimentVersion(db, experimentId, version);
  if (!row) throw notFound(`version ${version} of experiment ${experimentId}`);
  return row;
}
