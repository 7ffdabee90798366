/**
 * Code Example 4: activation patching. Two invokes share one forward pass:
 * the first reads the hidden state of " Colosseum" at layer 2, the second
 * writes it over " Louvre", and the model answers Rome instead of Paris. The
 * graph is buildActivationPatchingGraph's (example-graphs.test.ts).
 *
 *   npx tsx examples/04-activation-patching.ts [--remote]
 */
import { bundledScript, showNext } from "./bundled-model.ts";

const EDIT = "The Colosseum is located in the city of";
const BASE = "The Louvre is located in the city of";

export default bundledScript(import.meta, async ({ lm, tokenizer, log }) => {
  const layer = lm.transformer.h[2];
  const before = await lm.trace(BASE, () => lm.output.logits.save("logits"));
  const after = await lm.trace((tracer) => {
    const hidden = tracer.invoke(EDIT, () => layer.output[0].at(":, 1, :"));
    tracer.invoke(BASE, () => {
      layer.output[0].set(":, 1, :", hidden);
      lm.output.logits.save("logits");
    });
  });

  log("activation patching at transformer.h.2, token 1");
  log(`  "${EDIT}" -> "${BASE}"`);
  log(`  before: ${showNext(before.get("logits"), tokenizer)}`);
  log(`  after:  ${showNext(after.get("logits"), tokenizer)}`);
  return { before: before.get("logits"), after: after.get("logits") };
});
