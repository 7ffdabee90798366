import { indexedShape, type IndexItem } from "../ir/index-spec.ts";
import { formatShape, type Dim } from "../ir/shape.ts";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import type { TensorSpec } from "../manifest/manifest-schema.ts";
import {
  describeSite,
  type HookSite,
  type SiteTensors,
} from "../manifest/hook-site.ts";
import { fitsInto } from "./module-shapes.ts";
import type { ReportIssue } from "./report-issue.ts";

/** The tensor a hook node names at its site: the site's single tensor, or the tuple element of its item. */
export function tensorAt(
  node: GraphNode & HookSite,
  site: SiteTensors & { ok: true },
  report: ReportIssue,
): TensorSpec | undefined {
  const { slot, item } = node;
  const what = describeSite(node);
  const specs = site.tensors;
  if (slot !== "input" && site.tuple !== (item !== null)) {
    report(
      node,
      site.tuple
        ? `${what} is a tuple: pick an element (item 0…${specs.length - 1})`
        : `${what} is a single tensor, not a tuple: item must be null`,
    );
    return undefined;
  }
  const spec = specs[item ?? 0];
  if (!spec)
    report(
      node,
      `${what} has ${specs.length} element(s); item ${item} does not exist`,
    );
  return spec;
}

/**
 * Reports a write to a tensor without a batch axis from one of several
 * invokes. Such a tensor (GPT-2's position embeddings, [1, seq, d]) is shared
 * by every row of the pass: written from one invoke, it would change the
 * others' results too. Only an invoke that has every row (a trace's only
 * invoke with an input, or invoke(null)) may write it.
 */
export function checkSharedByInvokes(
  node: GraphNode,
  shape: readonly unknown[],
  what: string,
  graph: Graph,
  report: ReportIssue,
): void {
  if (shape.includes("batch")) return;
  const invokes = graph.traces[node.trace]?.invokes ?? [];
  if (!invokes[node.invoke]?.input) return;
  const withInput = invokes.filter((i) => i.input).length;
  if (withInput > 1)
    report(
      node,
      `${what} has no batch axis (shape ${formatShape(shape as Dim[])}): every invoke's rows share it, so a write from one of the trace's ${withInput} invokes would change the others' results too; write it in a trace with one invoke, or from invoke(null)`,
    );
}

/**
 * Why a value of `value` shape cannot be written into `target[index]` (or
 * the whole target), as a message naming the target; undefined when it fits.
 */
export function regionMisfit(
  target: readonly Dim[],
  index: readonly IndexItem[] | null,
  value: readonly Dim[],
): ((what: string) => string) | undefined {
  const region =
    index === null ? { shape: [...target] } : indexedShape(target, index);
  if ("error" in region) return () => region.error;
  if (!fitsInto(value, region.shape))
    return (what) =>
      `value of shape ${formatShape(value)} does not fit ${what} region ${formatShape(region.shape)}`;
  return undefined;
}
