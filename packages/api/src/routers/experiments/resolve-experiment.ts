import { readableExperiment } from "../../experiments/experiment-access.ts";
import { readProcedure } from "../../trpc.ts";
import {
  assertShortIdLength,
  MAX_LISTED_MATCHES,
  pickOnlyMatch,
  shortIdInput,
  unlessNotFound,
} from "../runs/short-ids.ts";

/**
 * `experiments.resolve`: the experiment a full id or a short one (a unique
 * prefix of at least MIN_SHORT_ID characters) names, among those the caller
 * may read. A full id resolves as readableExperiment reads it. A prefix
 * resolves among the caller's own experiments (every one, for an
 * administrator) and public ones; unlisted experiments resolve by full id
 * only, as they are never searched. A prefix that matches none is
 * NOT_FOUND; one that matches several is AMBIGUOUS_ID, listing them.
 */
export const resolveExperiment = readProcedure("experiments:read")
  .input(shortIdInput)
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const { principal } = ctx;
    const exact = await unlessNotFound(
      readableExperiment(db, principal, input.id),
    );
    if (exact) return { experimentId: exact.id };
    assertShortIdLength("experiment", input.id);
    const admin = principal?.role === "admin";
    const userId = principal?.userId ?? null;
    const rows = await db.sql.$queryRaw<{ id: string }[]>`
      SELECT id FROM experiments
      WHERE starts_with(id, ${input.id}::text)
        AND (${admin}::boolean OR owner_id = ${userId}::text
             OR visibility = 'public')
      ORDER BY updated_at DESC, id
      LIMIT ${MAX_LISTED_MATCHES + 1}::int`;
    return {
      experimentId: pickOnlyMatch(
        "experiment",
        input.id,
        rows.map((r) => r.id),
      ),
    };
  });
