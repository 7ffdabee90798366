import { z } from "zod";

/**
 * Where the script made each node of a graph: node id to "path:line", the
 * path relative to the script's project. Sent and stored beside a graph,
 * never in it, so that a graph's bytes and hash do not depend on where its
 * script lives; validation errors name these lines.
 */
export type GraphSources = Readonly<Record<string, string>>;

/** The sources as a request or a stored row carries them. */
export const graphSourcesSchema = z.record(
  z.string().regex(/^n\d+$/, "expected a node id like n12"),
  z.string().min(1).max(1000),
);
