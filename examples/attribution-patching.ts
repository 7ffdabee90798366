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
 *
 *   npx tsx examples/attribution-patching.ts [--remote]
 */
import { defineScript, runIfMain, stack, type TensorValue } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES } from "./bundled-model.ts";

export const CLEAN_PROMPT = "The Colosseum is located in the city of";
export const CORRUPTED_PROMPT = "The Louvre is located in the city of";
/** The saved heatmap's name: rows are MLP layers, columns token positions. */
export const ATTRIBUTION_SAVE = "attribution[layer,position]";

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const tokenizer = await lm.tokenizer();
  const [rome] = tokenizer.encode(" Rome");
  const [paris] = tokenizer.encode(" Paris");
  const positions = tokenizer.encode(CLEAN_PROMPT).length;
  if (tokenizer.encode(CORRUPTED_PROMPT).length !== positions)
    throw new Error("the two prompts must have the same number of tokens");
  const layers = lm.transformer.h;

  const { saves } = await lm.trace((tracer) => {
    const clean: TensorValue[] = [];
    const grads: TensorValue[] = [];
    tracer.invoke(CLEAN_PROMPT, () => {
      for (const layer of layers) {
        clean.push(layer.mlp.output);
        grads.push(layer.mlp.output.grad);
      }
      const logits = lm.output.item("logits");
      const metric = logits.get(0, -1, rome!).sub(logits.get(0, -1, paris!));
      metric.save("metric");
      metric.backward();
    });
    tracer.invoke(CORRUPTED_PROMPT, () => {
      const rows = layers.map((layer, l) =>
        layer.mlp.output.sub(clean[l]!).mul(grads[l]!).sum(-1),
      );
      stack(rows).reshape(layers.length, positions).save(ATTRIBUTION_SAVE);
    });
  }, trace);

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
  for (let l = 0; l < layers.length; l++)
    for (let p = 0; p < positions; p++) {
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
