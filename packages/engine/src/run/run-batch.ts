import type { ModelPlan } from "../model/model-plan.ts";
import { chargePass, type Padding } from "./batch-step.ts";
import { runGeneration, type GenerationEvents } from "./generate.ts";
import { runStep } from "./run-step.ts";
import type { SessionCache } from "./session-cache.ts";
import type { BatchEntry } from "./isolate-failures.ts";
import { recordMemory } from "./memory-metrics.ts";
import { toSaved } from "./tensors.ts";

/**
 * Runs one forward pass per trace step for several graphs at once: their invokes
 * become rows of one batch; the model runs as pieces between the cut positions
 * the graphs hook; at each cut, each graph's intervention segment (its
 * operations lowered to ONNX) reads and rewrites only its own rows. A graph's
 * own failure (its segment) is recorded on it and the others go on; a failure
 * of what the graphs share (a model piece, a backward model) is thrown, for
 * the caller to isolate (see runIsolated). `g` is each graph's index among
 * the run's requests: errors and streamed tokens name it.
 */
export async function runBatch(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly BatchEntry[],
  options: { padding: Padding; padId: number },
  events: GenerationEvents = {},
): Promise<void> {
  try {
    await runTraces(plan, cache, graphs, options, events);
  } finally {
    recordMemory(cache.metrics.memory, "activations", 0);
  }
  for (const { prepared } of graphs)
    for (const node of prepared.graph.nodes)
      if (node.op === "save" && !prepared.graph.traces[node.trace]?.generate) {
        const value = prepared.values.get(`v:${node.args[0]}`);
        if (value) prepared.saves[node.name] = toSaved(value);
      }
}

async function runTraces(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly BatchEntry[],
  options: { padding: Padding; padId: number },
  events: GenerationEvents,
): Promise<void> {
  const traceCount = Math.max(
    ...graphs.map(({ prepared }) => prepared.graph.traces.length),
  );
  for (let t = 0; t < traceCount; t++) {
    const all = graphs.filter(
      ({ prepared }) => prepared.graph.traces.length > t && !prepared.error,
    );
    if (all.length === 0) break;
    // Graphs generating at this trace run their steps together; the others one pass.
    const here = all.filter(
      ({ prepared }) => !prepared.graph.traces[t]!.generate,
    );
    const generating = all.filter(
      ({ prepared }) => prepared.graph.traces[t]!.generate,
    );
    if (generating.length > 0)
      await runGeneration(plan, cache, generating, t, options, events);
    if (here.length === 0) continue;
    const started = performance.now();
    try {
      await runStep(plan, cache, here, t, options);
    } finally {
      // A pass that fails is charged too: to this attempt's state (see runIsolated).
      const seconds = (performance.now() - started) / 1000;
      cache.metrics.forwardPasses++;
      chargePass(
        here.map((x) => x.prepared),
        here.map((x) => x.prepared.tokens[t]!.flatMap((p) => p ?? [])),
        seconds,
      );
    }
  }
}
