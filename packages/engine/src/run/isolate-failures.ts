import { RunError, type PreparedGraph } from "./batch-step.ts";

/** A graph of a batch and its index among the run's requests. */
export interface BatchEntry {
  readonly prepared: PreparedGraph;
  readonly g: number;
}

/** How often batches of several graphs failed and were split to find the cause. */
export interface IsolationMetrics {
  /** Batches of two or more graphs whose shared pass failed (their graphs were then rerun in halves). */
  failedSharedPasses: number;
  /** Graphs run again after a failed shared pass (a graph rerun twice counts twice). */
  graphReruns: number;
  /** Graphs whose pass failed while they ran alone: that failure is their result. */
  graphsFailedAlone: number;
}

export const emptyIsolation = (): IsolationMetrics => ({
  failedSharedPasses: 0,
  graphReruns: 0,
  graphsFailedAlone: 0,
});

/**
 * Runs graphs together and, when a pass they share fails (a model piece, a
 * backward model, a generation step: anything `run` throws), finds the graph
 * that makes it fail by bisection: the batch's graphs run again in halves,
 * recursively, each rerun from freshly prepared state (`prepare`: nothing a
 * failed attempt mutated is reused), until every graph has completed or
 * failed alone. So a graph's error always comes from a run in which it was
 * alone, or from its own intervention segment (which sees only its rows): it
 * never carries another graph's data. A graph that failed alone, or whose own
 * segment failed, is never run again. With one bad graph among n, that is
 * about 2·log2(n) extra passes of shrinking batches; the graphs that
 * complete get what they get alone (rows are independent).
 *
 * Usage: each graph's result carries the usage of the attempt it comes from
 * (fresh state per attempt, so nothing adds up across attempts). The passes
 * of failed shared attempts are charged to no graph: they are the cost of
 * isolation, counted in `metrics` (and in the engine's forwardPasses). A
 * graph that failed alone is charged its own attempt, the failing pass
 * included: that time was spent on it alone.
 */
export async function runIsolated(
  graphs: readonly BatchEntry[],
  prepare: (g: number) => PreparedGraph,
  run: (graphs: readonly BatchEntry[]) => Promise<void>,
  metrics: IsolationMetrics,
): Promise<Map<number, PreparedGraph>> {
  const results = new Map<number, PreparedGraph>();
  /** The group's graphs that have not failed yet; the others' results are final. */
  const unfailed = (group: readonly BatchEntry[]) =>
    group.filter(({ prepared, g }) => {
      if (prepared.error) results.set(g, prepared);
      return !prepared.error;
    });
  const attempt = async (group: readonly BatchEntry[]): Promise<void> => {
    const ready = unfailed(group);
    if (ready.length === 0) return;
    try {
      await run(ready);
      for (const { prepared, g } of ready) results.set(g, prepared);
      return;
    } catch (error) {
      if (ready.length === 1) {
        const { prepared, g } = ready[0]!;
        failAlone(prepared, g, error);
        metrics.graphsFailedAlone++;
        results.set(g, prepared);
        return;
      }
      metrics.failedSharedPasses++;
      // A graph whose own segment failed before the shared failure keeps that error.
      const rest = unfailed(ready);
      const mid = Math.floor(rest.length / 2);
      for (const half of [rest.slice(0, mid), rest.slice(mid)]) {
        if (half.length === 0) continue;
        metrics.graphReruns += half.length;
        await attempt(half.map(({ g }) => ({ prepared: prepare(g), g })));
      }
    }
  };
  await attempt(graphs);
  return results;
}

/** Records a failure of a graph that ran alone as its own error, naming it. */
function failAlone(prepared: PreparedGraph, g: number, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  prepared.error =
    error instanceof RunError && message.startsWith(`graph ${g}: `)
      ? error
      : new RunError(`graph ${g}: ${message}`, { cause: error });
  for (const row of prepared.generated) row.reason ??= "error";
}
