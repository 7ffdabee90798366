import {
  canonicalJson,
  describeNode,
  type GraphDiff,
  type GraphNode,
} from "@loupe/graph";
import { describeInvoke } from "./describe-invoke";

/**
 * One line of a diff, as the portal shows it. A removed node and an added node
 * of the same invoke are paired: with equal attributes they are the same step
 * recomputed because an input changed ("recomputed"); with the same op, one
 * edited step ("changed", or "constant" for a constant's value).
 */
export type DiffRow =
  | {
      readonly change: "input";
      readonly before: string;
      readonly after: string;
    }
  | { readonly change: "invoke-added"; readonly after: string }
  | { readonly change: "invoke-removed"; readonly before: string }
  | {
      readonly change: "constant";
      readonly before: string;
      readonly after: string;
    }
  | {
      readonly change: "changed";
      readonly before: string;
      readonly after: string;
    }
  | { readonly change: "removed"; readonly before: string }
  | { readonly change: "added"; readonly after: string }
  | {
      readonly change: "recomputed";
      readonly before: string;
      readonly after: string;
    };

/** The rows of one invoke, in the order of DiffRow's cases. */
export interface DiffGroup {
  readonly trace: number;
  readonly invoke: number;
  readonly rows: readonly DiffRow[];
}

const ORDER: Record<DiffRow["change"], number> = {
  input: 0,
  "invoke-added": 0,
  "invoke-removed": 0,
  constant: 1,
  changed: 2,
  removed: 3,
  added: 4,
  recomputed: 5,
};

/** A node's attributes: everything but its id and its args' ids. */
function attributes(node: GraphNode): string {
  const { id: _id, args: _args, ...rest } = node;
  return canonicalJson(rest);
}

/** Pairs removed with added nodes, first those with equal attributes, then by op. */
function pairNodes(removed: GraphNode[], added: GraphNode[]): DiffRow[] {
  const rows: DiffRow[] = [];
  const free = new Set(added);
  const unpaired: GraphNode[] = [];
  for (const before of removed) {
    const key = attributes(before);
    const after = [...free].find((a) => attributes(a) === key);
    if (!after) unpaired.push(before);
    else {
      free.delete(after);
      rows.push({
        change: "recomputed",
        before: describeNode(before),
        after: describeNode(after),
      });
    }
  }
  for (const before of unpaired) {
    const after = [...free].find((a) => a.op === before.op);
    if (!after) rows.push({ change: "removed", before: describeNode(before) });
    else {
      free.delete(after);
      rows.push({
        change: before.op === "constant" ? "constant" : "changed",
        before: describeNode(before),
        after: describeNode(after),
      });
    }
  }
  for (const after of free)
    rows.push({ change: "added", after: describeNode(after) });
  return rows;
}

/**
 * A GraphDiff regrouped for reading: one group per invoke that changed (by trace,
 * then invoke), each with its input change and its nodes paired into changed,
 * constant, recomputed, removed and added rows. The model change stays on the
 * diff itself. Pairing is a reading aid; formatGraphDiff remains the exact diff.
 */
export function groupGraphDiff(diff: GraphDiff): DiffGroup[] {
  const groups = new Map<
    string,
    {
      trace: number;
      invoke: number;
      rows: DiffRow[];
      removed: GraphNode[];
      added: GraphNode[];
    }
  >();
  const group = (trace: number, invoke: number) => {
    const key = `${trace}:${invoke}`;
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = { trace, invoke, rows: [], removed: [], added: [] }),
      );
    return g;
  };
  for (const c of diff.invokes) {
    const rows = group(c.trace, c.invoke).rows;
    if (c.change === "added")
      rows.push({ change: "invoke-added", after: describeInvoke(c.after) });
    else if (c.change === "removed")
      rows.push({ change: "invoke-removed", before: describeInvoke(c.before) });
    else
      rows.push({
        change: "input",
        before: describeInvoke(c.before),
        after: describeInvoke(c.after),
      });
  }
  for (const n of diff.removed) group(n.trace, n.invoke).removed.push(n);
  for (const n of diff.added) group(n.trace, n.invoke).added.push(n);
  return [...groups.values()]
    .sort((a, b) => a.trace - b.trace || a.invoke - b.invoke)
    .map(({ trace, invoke, rows, removed, added }) => ({
      trace,
      invoke,
      rows: [...rows, ...pairNodes(removed, added)].sort(
        (a, b) => ORDER[a.change] - ORDER[b.change],
      ),
    }));
}
