import { z } from "zod";
import type { Op } from "../ir/ops.ts";
import {
  describeValue,
  formatIssue,
  fromZodIssues,
  type FormatIssue,
} from "./format-issue.ts";
import {
  GRAPH_FORMAT,
  GRAPH_FORMAT_VERSION,
  graphSchema,
  nodeSchemas,
  type Graph,
  type GraphNode,
} from "./graph-schema.ts";

/** The outcome of parsing: the graph, or every problem found. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly FormatIssue[] };

/** Raised by parseGraphOrThrow; carries every issue. */
export class GraphFormatError extends Error {
  override readonly name = "GraphFormatError";
  readonly code = "GRAPH_FORMAT";
  constructor(readonly issues: readonly FormatIssue[]) {
    super(`invalid graph:\n${issues.map((i) => `  ${i.message}`).join("\n")}`);
  }
}

/**
 * Upgrades a document of an older format version to the next one. Version 1 is
 * the first; each later version adds an entry, so old graphs stay readable.
 */
const upgraders: Record<
  number,
  (doc: Record<string, unknown>) => Record<string, unknown>
> = {};

const envelope = graphSchema.extend({ nodes: z.array(z.unknown()) });
const MAX_ISSUES = 100;

/**
 * Parses a graph from JSON text or an already-parsed value, checking the format,
 * every node's fields, and that every reference names an earlier node of a
 * declared trace and invoke. Returns every problem (up to 100), never throws.
 */
export function parseGraph(input: unknown): ParseResult<Graph> {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch (error) {
      return fail([
        formatIssue(
          "",
          "JSON text",
          `invalid JSON (${(error as Error).message})`,
        ),
      ]);
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return fail([formatIssue("", "a graph object", describeValue(doc))]);
  }
  let record = doc as Record<string, unknown>;
  if (record.format !== GRAPH_FORMAT)
    return fail([
      formatIssue(
        "format",
        JSON.stringify(GRAPH_FORMAT),
        describeValue(record.format),
      ),
    ]);
  const version = record.version;
  if (
    typeof version !== "number" ||
    !Number.isInteger(version) ||
    version < 1
  ) {
    return fail([
      formatIssue(
        "version",
        "a format version (1 or later)",
        describeValue(version),
      ),
    ]);
  }
  if (version > GRAPH_FORMAT_VERSION) {
    return fail([
      formatIssue(
        "version",
        `a version this Loupe reads (up to ${GRAPH_FORMAT_VERSION}); the graph was written by a newer Loupe`,
        String(version),
      ),
    ]);
  }
  for (let v = version; v < GRAPH_FORMAT_VERSION; v++)
    record = upgraders[v]!(record);

  const top = envelope.safeParse(record, { reportInput: true });
  if (!top.success) return fail(fromZodIssues(top.error.issues));
  const issues: FormatIssue[] = [];
  const nodes: GraphNode[] = [];
  const seen = new Set<string>();
  top.data.nodes.forEach((raw, i) => {
    if (issues.length >= MAX_ISSUES) return;
    const op = (raw as { op?: unknown } | null)?.op;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      issues.push(
        formatIssue(`nodes[${i}]`, "a node object", describeValue(raw)),
      );
      return;
    }
    // Own keys only: "valueOf" or "constructor" are in every object.
    if (typeof op !== "string" || !Object.hasOwn(nodeSchemas, op)) {
      const id = (raw as { id?: unknown }).id;
      if (typeof id === "string") seen.add(id);
      issues.push(
        formatIssue(
          `nodes[${i}].op`,
          "a known operation (read, write, add, …)",
          describeValue(op),
        ),
      );
      return;
    }
    const parsed = nodeSchemas[op as Op].safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      issues.push(...fromZodIssues(parsed.error.issues, ["nodes", i]));
      // Later references to this node are not reported again.
      const id = (raw as { id?: unknown }).id;
      if (typeof id === "string") seen.add(id);
      return;
    }
    const node = parsed.data;
    if (seen.has(node.id))
      issues.push(
        formatIssue(
          `nodes[${i}].id`,
          "an id not used by an earlier node",
          JSON.stringify(node.id),
        ),
      );
    node.args.forEach((arg, k) => {
      if (!seen.has(arg))
        issues.push(
          formatIssue(
            `nodes[${i}].args[${k}]`,
            "the id of an earlier node",
            JSON.stringify(arg),
          ),
        );
    });
    const trace = top.data.traces[node.trace];
    if (!trace)
      issues.push(
        formatIssue(
          `nodes[${i}].trace`,
          `a trace index below ${top.data.traces.length}`,
          String(node.trace),
        ),
      );
    else if (node.invoke >= trace.invokes.length) {
      issues.push(
        formatIssue(
          `nodes[${i}].invoke`,
          `an invoke index below ${trace.invokes.length} (trace ${node.trace})`,
          String(node.invoke),
        ),
      );
    }
    const previous = nodes.at(-1);
    if (previous && node.trace < previous.trace) {
      issues.push(
        formatIssue(
          `nodes[${i}].trace`,
          `trace ${previous.trace} or later (nodes are in the order written)`,
          String(node.trace),
        ),
      );
    }
    seen.add(node.id);
    nodes.push(node);
  });
  if (issues.length > 0) return fail(issues.slice(0, MAX_ISSUES));
  return { ok: true, value: { ...top.data, nodes } };
}

/** Like parseGraph, but throws GraphFormatError listing every issue. */
export function parseGraphOrThrow(input: unknown): Graph {
  const result = parseGraph(input);
  if (!result.ok) throw new GraphFormatError(result.issues);
  return result.value;
}

function fail(issues: FormatIssue[]): ParseResult<Graph> {
  return { ok: false, issues };
}
