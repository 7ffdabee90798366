/**
 * Attribution patching (the paper's Table 1 task): how much each MLP layer's
 * output at each token position carries the fact, estimated for every layer
 * and position at once from ONE forward and backward pass:
 * (corrupted - clean MLP output) · d metric / d MLP output, summed over the
 * hidden dimension, with metric = logit(" Rome") - logit(" Paris") on the clean
 * prompt. Gradients come from Loupe's own differentiation of the ONNX model
 * (`.grad`, `.backward()`), locally and on the server alike. The graph stacks
 * the estimates into one [layers, positions] tensor, saved as
 * "attribution[layer,position]": the portal draws it as a heatmap.
 * The graph is buildAttributionPatchingGraph's (packages/graph/src/examples),
 * the same as the engine's test against PyTorch's gradients.
 *
 *   npx tsx examples/attribution-patching.ts [--remote]
 */
import {
  ATTRIBUTION_SAVE,
  buildAttributionPatchingGraph,
  defineScript,
  runIfMain,
} from "@loupe/sdk";
import { MODEL_FILES, openBundledModel } from "./bundled-model.ts";
import { ANSWERS, CLEAN_PROMPT, CORRUPTED_PROMPT } from "./patching-sweep.ts";

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);

  const { saves } = await lm.run(
    buildAttributionPatchingGraph(lm.graphs, {
      tokenizer,
      clean: CLEAN_PROMPT,
      corrupted: CORRUPTED_PROMPT,
      answers: ANSWERS,
      layers: lm.transformer.h,
      site: (layer) => layer.mlp.output, // each layer's MLP output
    }),
    trace,
  );

  const estimate = saves[ATTRIBUTION_SAVE]!;
  const tokens = tokenizer
    .encode(CLEAN_PROMPT)
    .map((id) => tokenizer.decode([id]));
  log(
    `attribution patching of every MLP layer: "${CORRUPTED_PROMPT}" into "${CLEAN_PROMPT}"`,
  );
  log(
    `  logit(" Rome") - logit(" Paris") on the clean prompt: ${saves.metric!.item().toFixed(3)}`,
  );
  let best = { layer: 0, position: 0, value: Infinity };
  for (let l = 0; l < lm.transformer.h.length; l++)
    for (let p = 0; p < tokens.length; p++) {
      const value = estimate.at(l, p).item();
      if (value < best.value) best = { layer: l, position: p, value };
    }
  log(
    `  largest estimated drop: MLP ${best.layer} at position ${best.position} (${JSON.stringify(tokens[best.position])}): ${best.value.toFixed(2)}`,
  );
  return { [ATTRIBUTION_SAVE]: estimate, metric: saves.metric! };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
