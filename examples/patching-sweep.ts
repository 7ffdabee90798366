/**
 * An activation-patching sweep: for every layer and every token position, the
 * hidden state of the clean prompt (Colosseum, answer Rome) is written into the
 * corrupted prompt (Louvre, answer Paris), and the logit difference
 * logit(" Rome") - logit(" Paris") of the patched run is recorded. All
 * layers x positions patches run as invokes of ONE trace (one forward pass),
 * and the graph itself stacks the differences into one [layers, positions]
 * tensor, saved as "logit_diff[layer,position]": the portal draws a saved 2-D
 * tensor whose name ends in [rowAxis,colAxis] as a heatmap with those axes.
 * The graph is buildPatchingSweepGraph's (packages/graph/src/examples), the
 * same as the gallery's.
 *
 *   npx tsx examples/patching-sweep.ts [--remote]
 */
import { buildPatchingSweepGraph, defineScript, runIfMain } from "@loupe/sdk";
import { MODEL_FILES, openBundledModel } from "./bundled-model.ts";

export const CLEAN_PROMPT = "The Colosseum is located in the city of";
export const CORRUPTED_PROMPT = "The Louvre is located in the city of";
/** The metric: logit(" Rome") - logit(" Paris") at the last position. */
export const ANSWERS = [" Rome", " Paris"] as const;
/** The saved heatmap's name: rows are layers, columns token positions. */
export const SWEEP_SAVE = "logit_diff[layer,position]";

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const layers = lm.transformer.h;

  const { saves } = await lm.run(
    buildPatchingSweepGraph(lm.graphs, {
      tokenizer,
      from: { prompt: CLEAN_PROMPT, save: "clean" },
      into: { prompt: CORRUPTED_PROMPT, save: "corrupted" },
      answers: ANSWERS,
      layers,
      site: (layer) => layer.output[0],
      save: SWEEP_SAVE,
    }),
    trace,
  );

  const sweep = saves[SWEEP_SAVE]!;
  const tokens = tokenizer
    .encode(CORRUPTED_PROMPT)
    .map((id) => tokenizer.decode([id]));
  log(`activation patching sweep: "${CLEAN_PROMPT}" -> "${CORRUPTED_PROMPT}"`);
  log(
    `  logit(" Rome") - logit(" Paris"): clean ${saves.clean!.item().toFixed(3)}, corrupted ${saves.corrupted!.item().toFixed(3)}`,
  );
  let best = { layer: 0, position: 0, value: -Infinity };
  for (let l = 0; l < layers.length; l++)
    for (let p = 0; p < tokens.length; p++) {
      const value = sweep.at(l, p).item();
      if (value > best.value) best = { layer: l, position: p, value };
    }
  log(
    `  strongest patch: layer ${best.layer}, position ${best.position} (${JSON.stringify(tokens[best.position])}): ${best.value.toFixed(3)}`,
  );
  return {
    [SWEEP_SAVE]: sweep,
    clean: saves.clean!,
    corrupted: saves.corrupted!,
  };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
