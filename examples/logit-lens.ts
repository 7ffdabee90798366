/**
 * The logit lens: decode every layer's hidden state at the last position with
 * the model's own final norm and unembedding, in one forward pass, to watch
 * the answer form layer by layer.
 *
 *   npx tsx examples/logit-lens.ts [--remote]
 */
import { defineScript, runIfMain, type Tensor } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES, show } from "./bundled-model.ts";

const PROMPT = "The Eiffel Tower is located in the city of";

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const { transformer, lm_head } = lm;
  const tokenizer = await lm.tokenizer();

  const { saves } = await lm.trace(
    PROMPT,
    () => {
      transformer.h.forEach((layer, i) => {
        const h = layer.output[0].get(":", [-1], ":");
        lm_head.call(transformer.ln_f.call(h)).save(`layer${i}`);
      });
    },
    trace,
  );

  log(`logit lens on "${PROMPT}" (top token after each layer)`);
  const lens: Record<string, Tensor> = {};
  transformer.h.forEach((_, i) => {
    const logits = saves[`layer${i}`]!;
    const last = logits.at(0, -1);
    const id = last.argmax().item();
    const prob = last.softmax().at(id).item();
    log(`  layer ${i}: ${show({ token: tokenizer.decode([id]), prob })}`);
    lens[`layer${i}`] = logits;
  });
  return lens;
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
