import type { Graph } from "../format/graph-schema.ts";

/**
 * The sequence length of each invoke with text prompts, by `t<trace>.i<invoke>`:
 * its longest prompt's tokens, as the model's tokenizer makes them (the
 * engine pads an invoke's rows to its longest). What validation binds a
 * text invoke's `seq` to when it checks indices: known before a run is
 * queued, once the prompts are tokenized. A generating trace's invokes are
 * left out, since the length fed changes from step to step.
 */
export function promptLengths(
  graph: Graph,
  tokenizer: { encode(text: string): readonly number[] },
): Map<string, number> {
  const lengths = new Map<string, number>();
  graph.traces.forEach((trace, t) => {
    if (trace.generate) return;
    trace.invokes.forEach(({ input }, i) => {
      if (input?.kind !== "text") return;
      const tokens = input.prompts.map((p) => tokenizer.encode(p).length);
      lengths.set(`t${t}.i${i}`, Math.max(...tokens));
    });
  });
  return lengths;
}

/** True if some invoke of the graph has text prompts (so a tokenizer is needed for its lengths). */
export function hasTextPrompts(graph: Graph): boolean {
  return graph.traces.some((t) =>
    t.invokes.some((i) => i.input?.kind === "text"),
  );
}
