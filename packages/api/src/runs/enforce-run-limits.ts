import { RunLimitError, type RunLimits } from "@loupe/db";
import {
  bytesPerElement,
  tokenLimitBreach,
  type Dim,
  type Graph,
  type TextTokenizer,
} from "@loupe/graph";
import type { CheckedGraph } from "../graphs/validate-for-model.ts";

/** What a run asks of the worker, measured from its checked graph before it is queued. */
export interface RunSize {
  /** Rows of its largest pass (a trace's invokes together). */
  readonly rows: number;
  /** Tokens of its longest row, prompt plus generated tokens. */
  readonly longestRow: number;
  /** Tokens over every row of every trace (generated tokens included). */
  readonly tokens: number;
  readonly nodes: number;
  readonly constantBytes: number;
  /** An upper bound of what it saves, from the checked shapes. */
  readonly resultBytes: number;
  /** Its largest token id (-1 for text prompts only: the tokenizer's ids are the model's). */
  readonly maxTokenId: number;
}

/**
 * The graph's size limits before validation, on the document alone: nodes and
 * constant bytes (so an oversized graph is refused before it is checked).
 */
export function enforceGraphLimits(graph: Graph, limits: RunLimits): void {
  const nodes = graph.nodes.length;
  over("maxNodesPerRun", limits.maxNodesPerRun, nodes, "nodes");
  over(
    "maxConstantBytesPerRun",
    limits.maxConstantBytesPerRun,
    constantBytes(graph),
    "bytes of constants",
  );
}

/**
 * Refuses a measured run (measureRun), by name, when it is over one of the
 * model's limits (a token id outside the vocabulary, a row longer than the
 * position table) or, given the user's limits, one of theirs. Text prompts
 * were tokenized with the model's tokenizer, as the engine will; without
 * one, a prompt's UTF-8 bytes bound its tokens.
 */
export function enforceRunLimits(
  checked: CheckedGraph,
  size: RunSize,
  limits?: RunLimits,
): void {
  const breach = tokenLimitBreach(
    checked.model.name,
    checked.model.tokens,
    size,
  );
  if (breach)
    throw new RunLimitError(
      breach.limit,
      breach.max,
      breach.actual,
      breach.message,
    );
  if (!limits) return;
  enforceGraphLimits(checked.graph, limits);
  over("maxRowsPerRun", limits.maxRowsPerRun, size.rows, "rows in one pass");
  over(
    "maxTokensPerRow",
    limits.maxTokensPerRow,
    size.longestRow,
    "tokens in its longest row (prompt plus generated tokens)",
  );
  over("maxTokensPerRun", limits.maxTokensPerRun, size.tokens, "tokens");
  over(
    "maxResultBytesPerRun",
    limits.maxResultBytesPerRun,
    size.resultBytes,
    "bytes of saved values (estimated from their shapes)",
  );
}

function over(
  limit: keyof RunLimits,
  max: number,
  actual: number,
  what: string,
): void {
  if (actual > max)
    throw new RunLimitError(
      limit,
      max,
      actual,
      `run limit ${limit} exceeded: the run has ${actual} ${what}, and the limit is ${max}; an administrator can raise it in your quota`,
    );
}

function constantBytes(graph: Graph): number {
  let bytes = 0;
  for (const node of graph.nodes)
    if (node.op === "constant")
      bytes +=
        node.shape.reduce((n: number, d: number) => n * d, 1) *
        bytesPerElement(node.dtype);
  return bytes;
}

/** Rows, tokens (text tokenized) and the saved bytes' bound of a checked graph. */
export async function measureRun(checked: CheckedGraph): Promise<RunSize> {
  const { graph } = checked;
  const tokenizer = graph.traces.some((t) =>
    t.invokes.some((i) => i.input?.kind === "text"),
  )
    ? await checked.model.tokenizer()
    : undefined;
  let rows = 0;
  let longestRow = 0;
  let tokens = 0;
  let maxTokenId = -1;
  /** Each invoke's longest row, for the symbolic sequence dims of its values. */
  const seqOf = new Map<string, number>();
  graph.traces.forEach((trace, t) => {
    // A row's positions: its prompt, then each generated token but the last
    // (the last one is returned, never fed back).
    const grows = Math.max(0, (trace.generate?.maxNewTokens ?? 0) - 1);
    let traceRows = 0;
    trace.invokes.forEach((invoke, i) => {
      const input = invoke.input;
      if (!input) return;
      const lengths =
        input.kind === "tokens"
          ? input.ids.map((row) => {
              for (const id of row) if (id > maxTokenId) maxTokenId = id;
              return row.length;
            })
          : input.prompts.map((p) => textTokens(p, tokenizer));
      traceRows += lengths.length;
      const longest = Math.max(...lengths) + grows;
      seqOf.set(`t${t}.i${i}`, longest);
      longestRow = Math.max(longestRow, longest);
      tokens += lengths.reduce((s, n) => s + n + grows, 0);
    });
    rows = Math.max(rows, traceRows);
  });
  return {
    rows,
    longestRow,
    tokens,
    nodes: graph.nodes.length,
    constantBytes: constantBytes(graph),
    resultBytes: savedBytes(checked, seqOf, longestRow, rows),
    maxTokenId,
  };
}

const textTokens = (prompt: string, tokenizer: TextTokenizer | undefined) =>
  tokenizer
    ? tokenizer.encode(prompt).length
    : new TextEncoder().encode(prompt).length + 2;

/**
 * An upper bound of the bytes a run saves: each save's checked shape, its
 * symbolic dims bound by what they stand for (`seq@t0.i1`: that invoke's
 * longest row; any other: the run's longest row or rows, whichever is
 * larger), times the steps of a generating trace (a save may be taken at each).
 */
function savedBytes(
  checked: CheckedGraph,
  seqOf: ReadonlyMap<string, number>,
  longestRow: number,
  rows: number,
): number {
  const { graph, types } = checked;
  let bytes = 0;
  for (const node of graph.nodes) {
    if (node.op !== "save") continue;
    const type = types.get(node.args[0]!);
    if (!type) continue;
    const bound = (d: Dim): number => {
      if (typeof d === "number") return d;
      const invoke = /^seq@(t\d+\.i\d+)/.exec(d)?.[1];
      return (invoke && seqOf.get(invoke)) || Math.max(longestRow, rows);
    };
    const elements = type.shape.reduce((n: number, d) => n * bound(d), 1);
    const steps = graph.traces[node.trace]?.generate?.maxNewTokens ?? 1;
    bytes += elements * bytesPerElement(type.dtype) * steps;
  }
  return bytes;
}
