import type { GraphDag } from "@loupe/graph";

/** Ops worth counting by name, in the order the summary lists them. */
const NAMED: readonly (readonly [op: string, one: string, many: string])[] = [
  ["read", "read", "reads"],
  ["write", "write", "writes"],
  ["save", "save", "saves"],
  ["call_module", "module call", "module calls"],
  ["param", "parameter", "parameters"],
  ["skip", "skip", "skips"],
  ["cache", "cache", "caches"],
  ["stop", "stop", "stops"],
  ["backward", "backward pass", "backward passes"],
  ["grad", "gradient read", "gradient reads"],
  ["write_grad", "gradient write", "gradient writes"],
];

const count = (n: number, one: string, many: string) =>
  `${n} ${n === 1 ? one : many}`;

/**
 * A one-sentence summary of a DAG for screen readers and the drawing's <desc>:
 * "13 nodes in 2 invokes of 1 trace: 3 reads, 1 write, 2 saves, 7 values."
 * Ops without a name of their own (getitem, softmax, constants…) count as values.
 */
export function summarizeDag(dag: GraphDag): string {
  if (dag.nodes.length === 0) return "An empty graph: no nodes.";
  const invokes = new Set(dag.nodes.map((n) => `${n.trace}:${n.invoke}`));
  const traces = new Set(dag.nodes.map((n) => n.trace));
  const parts: string[] = [];
  let named = 0;
  for (const [op, one, many] of NAMED) {
    const n = dag.nodes.filter((node) => node.op === op).length;
    named += n;
    if (n > 0) parts.push(count(n, one, many));
  }
  const values = dag.nodes.length - named;
  if (values > 0) parts.push(count(values, "value", "values"));
  return `${count(dag.nodes.length, "node", "nodes")} in ${count(invokes.size, "invoke", "invokes")} of ${count(traces.size, "trace", "traces")}: ${parts.join(", ")}.`;
}
