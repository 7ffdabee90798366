import type { RawTransaction } from "../sql-transaction.ts";

/** Where a run's script made each node of its graph: node id to "path:line". */
export type RunSources = Readonly<Record<string, string>>;

/**
 * Stores where a run's script made its graph's nodes, beside the graph
 * (graph_sources, by run: two scripts can make one graph on different
 * lines), never in it, so the graph's hash does not depend on its script.
 */
export async function storeRunSources(
  tx: RawTransaction,
  runId: string,
  graphHash: string,
  sources: RunSources,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO graph_sources (run_id, graph_hash, sources, created_at)
    VALUES (${runId}, ${graphHash}, ${JSON.stringify(sources)}::jsonb, ${new Date()})
    ON CONFLICT (run_id) DO NOTHING`;
}

/** Where a run's script made each node, or undefined when its submit sent none. */
export async function findRunSources(
  db: RawTransaction,
  runId: string,
): Promise<RunSources | undefined> {
  const [row] = await db.$queryRaw<{ sources: Record<string, string> }[]>`
    SELECT sources FROM graph_sources WHERE run_id = ${runId}`;
  return row?.sources;
}
