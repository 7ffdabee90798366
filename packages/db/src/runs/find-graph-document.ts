import type { Database } from "../create-database.ts";

/** A stored graph's document by its hash (the JSON a run ran), or null when none is stored. */
export async function findGraphDocument(
  db: Database,
  graphHash: string,
): Promise<unknown> {
  const row = await db.graph.findUnique({
    where: { hash: graphHash },
    select: { document: true },
  });
  return row?.document ?? null;
}
