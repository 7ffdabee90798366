import type { GraphNode } from "../format/graph-schema.ts";
import { describeSite } from "../manifest/hook-site.ts";

/**
 * The module path each node's messages name: the hook a node reads or
 * writes ("transformer.h.5.mlp.output"), the parameter or module it uses,
 * or, for an operation on values, that of its first argument that has one
 * (the value it works on came from there).
 */
export class NodeSites {
  readonly #sites = new Map<string, string>();

  /** Records the node's site (its arguments' are recorded already) and returns it. */
  enter(node: GraphNode): string | undefined {
    const site = ownSite(node) ?? this.#firstArgumentSite(node);
    if (site !== undefined) this.#sites.set(node.id, site);
    return site;
  }

  /** The site recorded for a node, if it has one. */
  of(id: string): string | undefined {
    return this.#sites.get(id);
  }

  #firstArgumentSite(node: GraphNode): string | undefined {
    for (const arg of node.args) {
      const site = this.#sites.get(arg);
      if (site !== undefined) return site;
    }
    return undefined;
  }
}

function ownSite(node: GraphNode): string | undefined {
  switch (node.op) {
    case "read":
    case "write":
    case "grad":
    case "write_grad":
      return describeSite(node);
    case "param":
      return `${node.module}.${node.name}`;
    case "call_module":
    case "skip":
      return node.module || "model";
    default:
      return undefined;
  }
}
