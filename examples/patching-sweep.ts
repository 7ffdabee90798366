/**
 * An activation-patching sweep: for every layer and token position, the clean
 * prompt's hidden state (Colosseum, answer Rome) is written into the corrupted
 * prompt (Louvre, answer Paris), one invoke each in ONE trace, and the graph
 * stacks logit(" Rome") - logit(" Paris") of every patched run into one
 * [layers, positions] tensor, which the portal draws as a heatmap. The graph
 * is buildPatchingSweepGraph's, as the gallery's (example-graphs.test.ts).
 *
 *   npx tsx examples/patching-sweep.ts [--remote]
 */
import { stack, type TensorValue } from "@loupe/sdk";
import { bundledScript } from "./bundled-model.ts";

export const CLEAN_PROMPT = "The Colosseum is located in the city of";
export const CORRUPTED_PROMPT = "The Louvre is located in the city of";
export const ANSWERS = [" Rome", " Paris"] as const;
const SWEEP = "logit_diff[layer,position]";

export default bundledScript(import.meta, async ({ lm, tokenizer, log }) => {
  const layers = lm.transformer.h;
  const ids = tokenizer.encode(CORRUPTED_PROMPT);
  const logit = (answer: string) =>
    lm.output.logits.at(`0, -1, ${tokenizer.encode(answer)[0]}`);
  const logitDiff = () => logit(ANSWERS[0]).sub(logit(ANSWERS[1]));

  const result = await lm.trace((tracer) => {
    const sources = tracer.invoke(CLEAN_PROMPT, () => {
      const hidden = layers.map((layer) => ({
        layer,
        hidden: layer.output[0],
      }));
      logitDiff().save("clean");
      return hidden;
    });
    tracer.invoke(CORRUPTED_PROMPT, () => logitDiff().save("corrupted"));
    const diffs: TensorValue[] = [];
    for (const { layer, hidden } of sources)
      for (let p = 0; p < ids.length; p++)
        tracer.invoke(CORRUPTED_PROMPT, () => {
          layer.output[0].set(`:, ${p}, :`, hidden.at(`:, ${p}, :`));
          diffs.push(logitDiff());
        });
    tracer.invoke(CORRUPTED_PROMPT, () =>
      stack(diffs).reshape(layers.length, ids.length).save(SWEEP),
    );
  });

  const [clean, corrupted] = [result.get("clean"), result.get("corrupted")];
  const sweep = result.get(SWEEP);
  const best = sweep.flatten().argmax().item();
  const [l, p] = [Math.floor(best / ids.length), best % ids.length];
  const token = JSON.stringify(tokenizer.decode(ids.slice(p, p + 1)));
  log(`activation patching sweep: "${CLEAN_PROMPT}" -> "${CORRUPTED_PROMPT}"`);
  log(
    `  logit(" Rome") - logit(" Paris"): clean ${clean.item().toFixed(3)}, corrupted ${corrupted.item().toFixed(3)}`,
  );
  log(
    `  strongest patch: layer ${l}, position ${p} (${token}): ${sweep.at(l, p).item().toFixed(3)}`,
  );
  return { [SWEEP]: sweep, clean, corrupted };
});
