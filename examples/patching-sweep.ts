/**
 * An activation-patching sweep: for every layer and every token position, the
 * hidden state of the clean prompt (Colosseum, answer Rome) is written into the
 * corrupted prompt (Louvre, answer Paris), and the logit difference
 * logit(" Rome") - logit(" Paris") of the patched run is recorded. All
 * layers x positions patches run as invokes of ONE trace (one forward pass),
 * and the graph itself stacks the differences into one [layers, positions]
 * tensor, saved as "logit_diff[layer,position]": the portal draws a saved 2-D
 * tensor whose name ends in [rowAxis,colAxis] as a heatmap with those axes.
 *
 *   npx tsx examples/patching-sweep.ts [--remote]
 */
import { defineScript, runIfMain, stack, type TensorValue } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES } from "./bundled-model.ts";

export const CLEAN_PROMPT = "The Colosseum is located in the city of";
export const CORRUPTED_PROMPT = "The Louvre is located in the city of";
/** The saved heatmap's name: rows are layers, columns token positions. */
export const SWEEP_SAVE = "logit_diff[layer,position]";

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const tokenizer = await lm.tokenizer();
  const [rome] = tokenizer.encode(" Rome");
  const [paris] = tokenizer.encode(" Paris");
  const positions = tokenizer.encode(CORRUPTED_PROMPT).length;
  if (tokenizer.encode(CLEAN_PROMPT).length !== positions)
    throw new Error("the two prompts must have the same number of tokens");
  const layers = lm.transformer.h;
  const diff = (): TensorValue => {
    const logits = lm.output.item("logits");
    return logits.get(0, -1, rome!).sub(logits.get(0, -1, paris!));
  };

  const { saves } = await lm.trace((tracer) => {
    const clean: TensorValue[] = [];
    tracer.invoke(CLEAN_PROMPT, () => {
      layers.forEach((layer) => clean.push(layer.output[0]));
      diff().save("clean");
    });
    tracer.invoke(CORRUPTED_PROMPT, () => {
      diff().save("corrupted");
    });
    const cells: TensorValue[] = [];
    layers.forEach((layer, l) => {
      for (let p = 0; p < positions; p++)
        tracer.invoke(CORRUPTED_PROMPT, () => {
          layer.output[0].set([":", p, ":"], clean[l]!.get(":", p, ":"));
          cells.push(diff());
        });
    });
    // Still inside the trace: the graph stacks every invoke's scalar into one tensor.
    tracer.invoke(CORRUPTED_PROMPT, () => {
      stack(cells).reshape(layers.length, positions).save(SWEEP_SAVE);
    });
  }, trace);

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
    for (let p = 0; p < positions; p++) {
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
