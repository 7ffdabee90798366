import type { Database } from "../create-database.ts";
import { READ_MODEL_TABLES } from "../domain/rebuild-domain-projections.ts";

type ReadModelTable = (typeof READ_MODEL_TABLES)[number];

/**
 * Each read model's primary key, as the ORDER BY of its snapshot. Text keys
 * sort in the "C" collation, so a snapshot's row order is the same on every
 * server whatever its locale. A Record, so a new read-model table does not
 * compile until it has an order here.
 */
const ROW_ORDER: Record<ReadModelTable, string> = {
  accounts: `id COLLATE "C"`,
  quotas: `user_id COLLATE "C"`,
  api_keys: `id COLLATE "C"`,
  experiments: `id COLLATE "C"`,
  experiment_versions: `experiment_id COLLATE "C", version`,
  experiment_stars: `experiment_id COLLATE "C", user_id COLLATE "C"`,
  runs: `id COLLATE "C"`,
  quota_usage: `user_id COLLATE "C", day COLLATE "C"`,
  models: `name COLLATE "C"`,
  model_hosting: `name COLLATE "C"`,
};

/** A read model's rows as JSON: what a snapshot holds and a fixture stores. */
export type ReadModelSnapshot = Record<string, Record<string, unknown>[]>;

/**
 * Every read-model table's rows, in primary-key order, as plain JSON values:
 * a timestamp is its ISO 8601 string (UTC, milliseconds) and an int8 its
 * decimal string; jsonb, arrays and other scalars are as pg reads them. So a
 * snapshot compares exactly with one stored as JSON (fixtures/event-log).
 */
export async function snapshotReadModels(
  db: Database,
): Promise<ReadModelSnapshot> {
  const snapshot: ReadModelSnapshot = {};
  for (const table of READ_MODEL_TABLES) {
    const { rows } = await db.pool.query<Record<string, unknown>>(
      `SELECT * FROM "${table}" ORDER BY ${ROW_ORDER[table]}`,
    );
    snapshot[table] = rows.map(
      (row) => toJsonValue(row) as Record<string, unknown>,
    );
  }
  return snapshot;
}

/** A column's value as JSON (see snapshotReadModels). */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]),
    );
  return value;
}
