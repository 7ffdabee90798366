import { canonicalJson } from "../format/canonical-json.ts";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import { describeNode } from "../render/describe-node.ts";

/** An invoke that differs between two versions (by trace and position). */
export interface InvokeChange {
  readonly trace: number;
  readonly invoke: number;
  readonly change: "added" | "removed" | "changed";
  readonly before?: unknown;
  readonly after?: unknown;
}

/** What changed from one graph to another, by structure rather than node ids. */
export interface GraphDiff {
  readonly same: boolean;
  readonly model?: { readonly before?: string; readonly after?: string };
  readonly invokes: readonly InvokeChange[];
  /** Nodes of the old graph with no structurally equal node in the new one. */
  readonly removed: readonly GraphNode[];
  /** Nodes of the new graph with no structurally equal node in the old one. */
  readonly added: readonly GraphNode[];
}

/**
 * Structural identity of every node: its kind, attributes, position (trace,
 * invoke) and the identities of its args, so renumbered ids do not count as
 * changes, while a changed constant also changes everything computed from it.
 */
function structuralKeys(
  graph: Graph,
  intern: Map<string, number>,
): Map<string, number> {
  const keys = new Map<string, number>();
  for (const node of graph.nodes) {
    const { id: _id, args, ...rest } = node;
    const text = canonicalJson({
      ...rest,
      args: args.map((a) => keys.get(a) ?? -1),
    });
    let key = intern.get(text);
    if (key === undefined) intern.set(text, (key = intern.size));
    keys.set(node.id, key);
  }
  return keys;
}

/**
 * The structural diff of two graphs (the gallery shows version diffs with it):
 * changed model and invoke inputs, and the nodes removed and added. Nodes match
 * by structure, each at most once.
 */
export function diffGraphs(before: Graph, after: Graph): GraphDiff {
  const intern = new Map<string, number>();
  const keysA = structuralKeys(before, intern);
  const keysB = structuralKeys(after, intern);
  const pool = new Map<number, number>();
  for (const key of keysB.values()) pool.set(key, (pool.get(key) ?? 0) + 1);
  const removed: GraphNode[] = [];
  const matched = new Map<number, number>();
  for (const node of before.nodes) {
    const key = keysA.get(node.id)!;
    const left = pool.get(key) ?? 0;
    if (left > 0) {
      pool.set(key, left - 1);
      matched.set(key, (matched.get(key) ?? 0) + 1);
    } else removed.push(node);
  }
  const added: GraphNode[] = [];
  for (const node of after.nodes) {
    const key = keysB.get(node.id)!;
    const left = matched.get(key) ?? 0;
    if (left > 0) matched.set(key, left - 1);
    else added.push(node);
  }
  const invokes: InvokeChange[] = [];
  const traces = Math.max(before.traces.length, after.traces.length);
  for (let t = 0; t < traces; t++) {
    const a = before.traces[t]?.invokes ?? [];
    const b = after.traces[t]?.invokes ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (!b[i])
        invokes.push({ trace: t, invoke: i, change: "removed", before: a[i] });
      else if (!a[i])
        invokes.push({ trace: t, invoke: i, change: "added", after: b[i] });
      else if (canonicalJson(a[i]) !== canonicalJson(b[i]))
        invokes.push({
          trace: t,
          invoke: i,
          change: "changed",
          before: a[i],
          after: b[i],
        });
    }
  }
  const model =
    before.model === after.model
      ? undefined
      : { before: before.model, after: after.model };
  return {
    same:
      !model &&
      invokes.length === 0 &&
      removed.length === 0 &&
      added.length === 0,
    ...(model ? { model } : {}),
    invokes,
    removed,
    added,
  };
}

/** The diff as text: `-`/`+` lines for invokes and nodes. */
export function formatGraphDiff(diff: GraphDiff): string {
  if (diff.same) return "no changes";
  const lines: string[] = [];
  if (diff.model)
    lines.push(
      `- model ${diff.model.before ?? "(none)"}`,
      `+ model ${diff.model.after ?? "(none)"}`,
    );
  for (const c of diff.invokes) {
    if (c.before !== undefined)
      lines.push(
        `- trace ${c.trace} invoke ${c.invoke}: ${canonicalJson(c.before)}`,
      );
    if (c.after !== undefined)
      lines.push(
        `+ trace ${c.trace} invoke ${c.invoke}: ${canonicalJson(c.after)}`,
      );
  }
  for (const n of diff.removed)
    lines.push(`- [t${n.trace} i${n.invoke}] ${describeNode(n)}`);
  for (const n of diff.added)
    lines.push(`+ [t${n.trace} i${n.invoke}] ${describeNode(n)}`);
  return lines.join("\n");
}
