/**
 * Code Example 1: four MLP neurons of layer 1 set to 10 turn the answer from
 * Paris to France (neurons found in PyTorch: models/facts/facts.json). The
 * graph is buildNeuronsGraph's, as the gallery's (example-graphs.test.ts).
 *
 *   npx tsx examples/01-neurons.ts [--remote]
 */
import { bundledScript, showNext } from "./bundled-model.ts";

const PROMPT = "The Louvre is located in the city of";

export default bundledScript(import.meta, async ({ lm, tokenizer, log }) => {
  const before = await lm.trace(PROMPT, () => lm.output.logits.save("logits"));
  const after = await lm.trace(PROMPT, () => {
    lm.transformer.h[1].mlp.c_proj.input.set(":, :, [89, 349, 422, 458]", 10);
    lm.output.logits.save("logits");
  });

  log("transformer.h.1.mlp.c_proj.input[:, :, [89, 349, 422, 458]] = 10");
  log(`  "${PROMPT}" ->`);
  log(`  before: ${showNext(before.get("logits"), tokenizer)}`);
  log(`  after:  ${showNext(after.get("logits"), tokenizer)}`);
  return { before: before.get("logits"), after: after.get("logits") };
});
