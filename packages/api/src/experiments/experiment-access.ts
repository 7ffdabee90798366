import { findExperiment, findRun, type Database } from "@loupe/db";
import { TRPCError } from "@trpc/server";
import type { Principal } from "../auth/principal.ts";
import { notFound } from "../errors/loupe-error.ts";

/**
 * Who may read an experiment: its owner and administrators always; anyone
 * (even anonymous) when it is public or unlisted (unlisted: readable by
 * link, never listed or searched). A private experiment is NOT_FOUND to
 * everyone else, so its existence does not leak.
 */
export async function readableExperiment(
  db: Database,
  principal: Principal | null,
  experimentId: string,
) {
  const experiment = await findExperiment(db, experimentId);
  if (
    !experiment ||
    (experiment.visibility === "private" &&
      experiment.ownerId !== principal?.userId &&
      principal?.role !== "admin")
  )
    throw notFound(`experiment ${experimentId}`);
  return experiment;
}

/** An experiment the principal owns; a reader who is not the owner gets FORBIDDEN. */
export async function ownedExperiment(
  db: Database,
  principal: Principal,
  experimentId: string,
) {
  const experiment = await readableExperiment(db, principal, experimentId);
  if (experiment.ownerId !== principal.userId)
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `only the owner may change experiment ${experimentId}`,
    });
  return experiment;
}

/**
 * Who may read a run (its status and its result): the requester, an
 * administrator, or anyone who may read the experiment version it ran, when
 * that experiment is public or unlisted.
 */
export async function readableRun(
  db: Database,
  principal: Principal | null,
  runId: string,
) {
  const run = await findRun(db, runId);
  if (!run) throw notFound(`run ${runId}`);
  if (run.userId === principal?.userId || principal?.role === "admin")
    return run;
  if (run.experimentId) {
    const experiment = await findExperiment(db, run.experimentId);
    if (experiment && experiment.visibility !== "private") return run;
  }
  throw notFound(`run ${runId}`);
}
