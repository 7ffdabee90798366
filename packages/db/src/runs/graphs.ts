import { createHash } from "node:crypto";
import type { RawTransaction } from "../sql-transaction.ts";

/** A checked graph as stored: its canonical JSON (what its hash covers) and its values' types on a model. */
export interface StoredGraph {
  /** The canonical loupe.graph JSON (serializeGraph). */
  readonly json: string;
  /** Every value's type as the API's check inferred it on the run's model. */
  readonly types: Record<string, unknown>;
}

/**
 * Stores a checked graph once: the document under its hash (a graph already
 * there is left as is: same hash, same bytes), and its types on the model.
 * Runs, events and workflows name it by hash and never carry it.
 */
export async function storeGraph(
  tx: RawTransaction,
  graphHash: string,
  modelHash: string,
  graph: StoredGraph,
): Promise<void> {
  const now = new Date();
  await tx.$executeRaw`
    INSERT INTO graphs (hash, document, bytes, created_at)
    VALUES (${graphHash}, ${graph.json}::json, ${Buffer.byteLength(graph.json)}, ${now})
    ON CONFLICT (hash) DO NOTHING`;
  await tx.$executeRaw`
    INSERT INTO graph_checks (graph_hash, model_hash, types, created_at)
    VALUES (${graphHash}, ${modelHash}, ${JSON.stringify(graph.types)}::jsonb, ${now})
    ON CONFLICT (graph_hash, model_hash) DO NOTHING`;
}

/** Raised when a stored graph is missing, or its bytes do not match its hash. */
export class StoredGraphError extends Error {
  override readonly name = "StoredGraphError";
  readonly code = "GRAPH_UNAVAILABLE";
}

/**
 * Reads a checked graph for a run: the document's exact text, checked against
 * its hash (SHA-256 of the bytes; no parsing, no validation), and its types on
 * the model. Graphs moved from the runs table by the migration were re-encoded
 * by PostgreSQL's jsonb, so their text may differ from the canonical bytes;
 * `canonical` re-serializes such a document for the check.
 */
export async function readStoredGraph(
  db: RawTransaction,
  graphHash: string,
  modelHash: string,
  canonical: (document: unknown) => string,
): Promise<StoredGraph> {
  const rows = await db.$queryRaw<{ json: string; types: unknown }[]>`
    SELECT g.document::text AS json, c.types
    FROM graphs g
    LEFT JOIN graph_checks c ON c.graph_hash = g.hash AND c.model_hash = ${modelHash}
    WHERE g.hash = ${graphHash}`;
  const row = rows[0];
  if (!row) throw new StoredGraphError(`graph ${graphHash} is not stored`);
  let json = row.json;
  if (sha256(json) !== graphHash) {
    json = canonical(JSON.parse(json));
    if (sha256(json) !== graphHash)
      throw new StoredGraphError(
        `graph ${graphHash}: the stored document does not match its hash`,
      );
  }
  if (!row.types)
    throw new StoredGraphError(
      `graph ${graphHash} was never checked against model ${modelHash}`,
    );
  return { json, types: row.types as Record<string, unknown> };
}

const sha256 = (text: string) =>
  `sha256:${createHash("sha256").update(text).digest("hex")}`;
