import type { GraphNode } from "../format/graph-schema.ts";
import type { ReportIssue } from "./report-issue.ts";

/**
 * The names values are saved under: each once, and none that the results
 * reserve (generated/… holds the generated tokens; in a generation, name@step
 * names a step's value).
 */
export class SaveNames {
  readonly #byName = new Map<string, string>();

  constructor(private readonly report: ReportIssue) {}

  /** Checks and records a save's name; `generating` is whether its trace generates. */
  add(node: Extract<GraphNode, { op: "save" }>, generating: boolean): void {
    if (node.name.startsWith("generated/"))
      this.report(
        node,
        `the name "${node.name}" is reserved: generated/… names hold the generated tokens`,
      );
    if (generating && node.name.includes("@"))
      this.report(
        node,
        `the name "${node.name}" has an "@", which names a step in a generation's results (name@step); choose another`,
      );
    const previous = this.#byName.get(node.name);
    if (previous)
      this.report(
        node,
        `the name "${node.name}" is already saved by node ${previous}`,
      );
    this.#byName.set(node.name, node.id);
  }
}
