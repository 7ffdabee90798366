import type { EngineMetrics, LoupeEngine } from "@loupe/engine";
import type { Phase, TaskSpec } from "../suite.ts";
import { median } from "../report/stats.ts";

const MiB = 2 ** 20;

/** What one timed call of a task made the engine compile and load. */
export interface CallCounters {
  readonly pieces: number;
  readonly segments: number;
  readonly evictions: number;
  readonly weightBytes: number;
}

/**
 * A task that records, for each timed call, the engine's compile counters
 * (from `engine.metrics`, read around the call, outside the timed window), and
 * notes their median in the table: a warm row that compiles shows up there.
 */
export function withCounters(
  engine: LoupeEngine,
  spec: TaskSpec,
): TaskSpec & { readonly calls: readonly CallCounters[] } {
  const calls: CallCounters[] = [];
  let before: EngineMetrics | undefined;
  return {
    ...spec,
    calls,
    beforeEach: async (phase: Phase) => {
      await spec.beforeEach?.(phase);
      before = { ...engine.metrics };
    },
    afterEach: async (phase: Phase) => {
      const after = engine.metrics;
      if (phase === "run" && before)
        calls.push({
          pieces: after.piecesCompiled - before.piecesCompiled,
          segments: after.segmentsCompiled - before.segmentsCompiled,
          evictions: after.evictions - before.evictions,
          weightBytes: after.weightBytesLoaded - before.weightBytesLoaded,
        });
      await spec.afterEach?.(phase);
    },
    notes: () => {
      const m = (key: keyof CallCounters) => median(calls.map((c) => c[key]));
      return `per call (median): ${m("pieces")} pieces + ${m("segments")} segments compiled, ${(m("weightBytes") / MiB).toFixed(1)} MiB of weights loaded, ${m("evictions")} sessions evicted`;
    },
  };
}
