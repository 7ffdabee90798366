import type { Loupe } from "../client/loupe.ts";

/**
 * The full id of the run `id` names: a full id, or a short one (a unique
 * prefix of at least 6 characters, as `loupe run` prints them) among the
 * runs the caller may read. An ambiguous prefix fails listing its matches
 * (AmbiguousIdError); the server decides, by the same rules as reading.
 */
export async function resolveRunId(loupe: Loupe, id: string): Promise<string> {
  const { runId } = await loupe.api.call(`finding run ${id}`, (t) =>
    t.runs.resolve.query({ id }),
  );
  return runId;
}

/** The full id of the experiment `id` names, as resolveRunId does for runs. */
export async function resolveExperimentId(
  loupe: Loupe,
  id: string,
): Promise<string> {
  const { experimentId } = await loupe.api.call(
    `finding experiment ${id}`,
    (t) => t.experiments.resolve.query({ id }),
  );
  return experimentId;
}
