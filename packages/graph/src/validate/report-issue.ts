import type { GraphNode } from "../format/graph-schema.ts";

/**
 * Records one problem with a node. Validation collects every problem rather
 * than stopping at the first, so each check reports through this and goes on.
 */
export type ReportIssue = (node: GraphNode, message: string) => void;
