/**
 * Code Example 4: activation patching. Two invokes share one forward pass:
 * the first reads the hidden state of "Colosseum" at layer 2, the second
 * writes it over "Louvre", and the model answers Rome instead of Paris.
 * In NNsight:
 *   with lm.trace() as tracer:
 *       with tracer.invoke(edit_prompt):
 *           hidden_state = layer.output[0][:, 6, :]
 *       with tracer.invoke(base_prompt):
 *           layer.output[0][:, 5, :] = hidden_state
 *           out = lm.output.logits.save()
 *
 *   npx tsx examples/04-activation-patching.ts [--remote]
 */
import { defineScript, runIfMain, type TensorValue } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES, nextToken, show } from "./bundled-model.ts";

const EDIT_PROMPT = "The Colosseum is located in the city of";
const BASE_PROMPT = "The Louvre is located in the city of";
// The subject's token in each prompt (" Colosseum", " Louvre"), 0-based.
const EDIT_POSITION = 1;
const BASE_POSITION = 1;

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const layer = lm.transformer.h[2];
  const tokenizer = await lm.tokenizer();

  const before = await lm.trace(
    BASE_PROMPT,
    () => {
      lm.output.item("logits").save("logits");
    },
    trace,
  );
  const patched = await lm.trace((tracer) => {
    let hidden: TensorValue | undefined;
    tracer.invoke(EDIT_PROMPT, () => {
      hidden = layer.output[0].get(":", EDIT_POSITION, ":");
    });
    tracer.invoke(BASE_PROMPT, () => {
      layer.output[0].set([":", BASE_POSITION, ":"], hidden!);
      lm.output.item("logits").save("logits");
    });
  }, trace);

  log(`activation patching at ${layer.path}, token ${BASE_POSITION}`);
  log(`  "${EDIT_PROMPT}" -> "${BASE_PROMPT}"`);
  log(`  before: ${show(nextToken(before.get("logits"), tokenizer))}`);
  log(`  after:  ${show(nextToken(patched.get("logits"), tokenizer))}`);
  return { before: before.get("logits"), after: patched.get("logits") };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
