import type { Database } from "../create-database.ts";
import type { ModelHosting } from "../generated/prisma/client.ts";
import { modelSource, type ModelSource } from "../domain/domain-events.ts";
import type { ModelHostingState } from "../domain/projections/model-hosting.ts";

/** A `model_hosting` row as Prisma returns it. */
export type ModelHostingRow = ModelHosting;

/** Where hosting a model stands, read from its projection. */
export interface ModelHostingStatus {
  readonly name: string;
  readonly state: ModelHostingState;
  /** Why it was refused or failed (null otherwise). */
  readonly reason: string | null;
  /** Where workers read its files (null: never recorded). */
  readonly source: ModelSource | null;
  /** The standing host request (null: hosted from a worker's configuration). */
  readonly requestId: string | null;
  readonly requestedBy: string | null;
  /** The worker of the latest report. */
  readonly workerId: string | null;
  /** While loading: bytes read so far of its files' total. */
  readonly loadedBytes: number | null;
  readonly totalBytes: number | null;
  readonly updatedAt: Date;
}

/** Reads a hosting row into its status (the source JSON parsed). */
export function toModelHostingStatus(row: ModelHostingRow): ModelHostingStatus {
  const source = modelSource.safeParse(row.source);
  return {
    name: row.name,
    state: row.state as ModelHostingState,
    reason: row.reason,
    source: source.success ? source.data : null,
    requestId: row.requestId,
    requestedBy: row.requestedBy,
    workerId: row.workerId,
    loadedBytes: row.loadedBytes === null ? null : Number(row.loadedBytes),
    totalBytes: row.totalBytes === null ? null : Number(row.totalBytes),
    updatedAt: row.updatedAt,
  };
}

/** Where hosting `name` stands; undefined when it was never recorded. */
export async function findModelHosting(
  db: Database,
  name: string,
): Promise<ModelHostingStatus | undefined> {
  const row = await db.modelHosting.findUnique({ where: { name } });
  return row ? toModelHostingStatus(row) : undefined;
}

/** Every model whose hosting was recorded, by name. */
export async function listModelHosting(
  db: Database,
): Promise<ModelHostingStatus[]> {
  const rows = await db.modelHosting.findMany({ orderBy: { name: "asc" } });
  return rows.map(toModelHostingStatus);
}
