import type { Database } from "../create-database.ts";

/**
 * A run's queue position: how many runs of the same model, requested before
 * it, are still waiting (requested or queued). Null once the run has started
 * or ended. Runs already executing are not counted: they are not in the queue.
 */
export async function queuePosition(
  db: Database,
  runId: string,
): Promise<number | null> {
  const rows = await db.sql.$queryRaw<{ ahead: bigint | null }[]>`
    SELECT CASE WHEN me.status IN ('requested', 'queued') THEN (
      SELECT count(*) FROM runs r
      WHERE r.model = me.model
        AND r.status IN ('requested', 'queued')
        AND (r.requested_at, r.id) < (me.requested_at, me.id)
    ) END AS ahead
    FROM runs me WHERE me.id = ${runId}`;
  const ahead = rows[0]?.ahead;
  return ahead === null || ahead === undefined ? null : Number(ahead);
}
