/**
 * Code Example 1: set three-or-so MLP neurons and the model's answer changes.
 * In NNsight:
 *   with lm.trace("The truth is the"):
 *       mlp.input[0][0][:, :, neurons] = 5
 *       logits = lm.output["logits"].save()
 * The neurons were found in PyTorch when the model was built (models/facts/facts.json).
 *
 *   npx tsx examples/01-neurons.ts [--remote]
 */
import { defineScript, runIfMain } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES, nextToken, show } from "./bundled-model.ts";

const PROMPT = "The Louvre is located in the city of";
const NEURONS = [89, 349, 422, 458];

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const mlp = lm.transformer.h[1].mlp.c_proj;
  const tokenizer = await lm.tokenizer();

  const before = await lm.trace(
    PROMPT,
    () => {
      lm.output.item("logits").save("logits");
    },
    trace,
  );
  const after = await lm.trace(
    PROMPT,
    () => {
      mlp.input.set([":", ":", NEURONS], 10);
      lm.output.item("logits").save("logits");
    },
    trace,
  );

  log(`${mlp.path}.input[:, :, [${NEURONS.join(", ")}]] = 10`);
  log(`  "${PROMPT}" ->`);
  log(`  before: ${show(nextToken(before.get("logits"), tokenizer))}`);
  log(`  after:  ${show(nextToken(after.get("logits"), tokenizer))}`);
  return { before: before.get("logits"), after: after.get("logits") };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
