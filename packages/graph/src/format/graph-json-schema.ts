import { z } from "zod";
import { graphSchema } from "./graph-schema.ts";

/**
 * The JSON Schema (draft 2020-12) of the graph format, generated from the zod
 * schema that parsing uses, so the two cannot drift. Committed as
 * graph.schema.json for tools in other languages.
 */
export function graphJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(graphSchema, {
      target: "draft-2020-12",
      unrepresentable: "throw",
    }),
    $id: "https://loupe.dev/schemas/graph/v1.json",
    title: "Loupe intervention graph, format version 1",
  };
}
