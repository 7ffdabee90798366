import { eachEvent, type Projection } from "./projection.ts";

/**
 * The `quota_usage` read model: per user and UTC day of the runs' requests,
 * the runs requested, those not yet settled, the seconds they hold reserved,
 * and what the settled ones used (seconds and result bytes).
 */
export const quotaUsageProjection: Projection<
  "quota.reserved" | "quota.settled"
> = {
  "quota.reserved": eachEvent(async (tx, { payload: p }) => {
    await tx.$executeRaw`
      INSERT INTO quota_usage (user_id, day, runs, active_runs, reserved_seconds)
      VALUES (${p.userId}, ${p.day}, 1, 1, ${p.computeSeconds}::float8)
      ON CONFLICT (user_id, day) DO UPDATE SET
        runs = quota_usage.runs + 1,
        active_runs = quota_usage.active_runs + 1,
        reserved_seconds = quota_usage.reserved_seconds + excluded.reserved_seconds`;
  }),
  // A batch's settlements, summed per user and day in one statement.
  "quota.settled": async (tx, events) => {
    const p = events.map((x) => x.e.payload);
    await tx.$executeRaw`
      UPDATE quota_usage SET active_runs = active_runs - v.n,
        reserved_seconds = reserved_seconds - v.reserved,
        used_seconds = used_seconds + v.used,
        result_bytes = result_bytes + v.bytes
      FROM (
        SELECT user_id, day, count(*)::int AS n, sum(reserved) AS reserved,
          sum(used) AS used, sum(bytes)::bigint AS bytes
        FROM unnest(${p.map((x) => x.userId)}::text[], ${p.map((x) => x.day)}::text[],
                    ${p.map((x) => x.reservedSeconds)}::float8[],
                    ${p.map((x) => x.computeSeconds)}::float8[],
                    ${p.map((x) => String(x.resultBytes))}::bigint[])
          AS u(user_id, day, reserved, used, bytes)
        GROUP BY user_id, day
      ) AS v
      WHERE quota_usage.user_id = v.user_id AND quota_usage.day = v.day`;
  },
};
