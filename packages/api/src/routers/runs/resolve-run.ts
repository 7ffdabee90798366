import { readableRun } from "../../experiments/experiment-access.ts";
import { readProcedure } from "../../trpc.ts";
import {
  assertShortIdLength,
  MAX_LISTED_MATCHES,
  pickOnlyMatch,
  shortIdInput,
  unlessNotFound,
} from "./short-ids.ts";

/**
 * `runs.resolve`: the run a full id or a short one (a unique prefix of at
 * least MIN_SHORT_ID characters) names, among the runs the caller may read.
 * A full id resolves as readableRun reads it. A prefix resolves among the
 * caller's own runs (every run, for an administrator) and the runs of
 * public experiments; runs of unlisted experiments resolve by full id only,
 * as unlisted experiments are never searched. A prefix that matches none
 * is NOT_FOUND; one that matches several is AMBIGUOUS_ID, listing them.
 */
export const resolveRun = readProcedure("runs:read")
  .input(shortIdInput)
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const exact = await unlessNotFound(
      readableRun(db, ctx.principal, input.id),
    );
    if (exact) return { runId: exact.id };
    assertShortIdLength("run", input.id);
    const admin = ctx.principal?.role === "admin";
    const userId = ctx.principal?.userId ?? null;
    const rows = await db.sql.$queryRaw<{ id: string }[]>`
      SELECT r.id FROM runs r
      LEFT JOIN experiments e ON e.id = r.experiment_id
      WHERE starts_with(r.id, ${input.id}::text)
        AND (${admin}::boolean OR r.user_id = ${userId}::text
             OR e.visibility = 'public')
      ORDER BY r.requested_at DESC, r.id
      LIMIT ${MAX_LISTED_MATCHES + 1}::int`;
    return {
      runId: pickOnlyMatch(
        "run",
        input.id,
        rows.map((r) => r.id),
      ),
    };
  });
