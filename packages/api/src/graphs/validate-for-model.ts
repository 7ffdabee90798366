import type { Database } from "@loupe/db";
import {
  hashGraph,
  manifestSchema,
  parseGraph,
  serializeGraph,
  validateGraph,
  type Graph,
  type Manifest,
} from "@loupe/graph";
import { LoupeError, notFound } from "../errors.ts";

/** A graph checked against a hosted model: ready to commit or to queue. */
export interface CheckedGraph {
  readonly graph: Graph;
  /** The graph as stored (the loupe.graph JSON document). */
  readonly document: Record<string, unknown>;
  readonly graphHash: string;
  readonly model: {
    readonly name: string;
    readonly hash: string;
    readonly manifest: Manifest;
    readonly secondsPerToken: number;
  };
}

/**
 * Parses a graph document and validates it against a registered model's
 * manifest (module paths, shapes, dtypes, index bounds, size limits), before
 * anything is stored or queued. A bad graph is BAD_REQUEST with every issue
 * (`data.loupe.issues`), naming the node and what is wrong.
 */
export async function checkGraphForModel(
  db: Database,
  modelName: string,
  document: unknown,
): Promise<CheckedGraph> {
  const row = await db.model.findUnique({ where: { name: modelName } });
  if (!row) throw notFound(`model ${modelName}`);
  const parsed = parseGraph(document);
  if (!parsed.ok)
    throw new LoupeError(
      "BAD_REQUEST",
      { code: "GRAPH_FORMAT", issues: parsed.issues },
      `invalid graph:\n${parsed.issues.map((i) => `  ${i.message}`).join("\n")}`,
    );
  const manifest = manifestSchema.parse(row.manifest);
  const validation = validateGraph(parsed.value, manifest);
  if (!validation.ok)
    throw new LoupeError(
      "BAD_REQUEST",
      { code: "GRAPH_INVALID", issues: validation.issues },
      `graph does not fit model ${modelName}:\n${validation.issues.map((i) => `  ${i.message}`).join("\n")}`,
    );
  return {
    graph: parsed.value,
    document: JSON.parse(serializeGraph(parsed.value)) as Record<
      string,
      unknown
    >,
    graphHash: hashGraph(parsed.value),
    model: {
      name: row.name,
      hash: row.hash,
      manifest,
      secondsPerToken: row.secondsPerToken,
    },
  };
}
