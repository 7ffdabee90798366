/**
 * The logit lens: decode every layer's hidden state at the last position with
 * the model's own final norm and unembedding, in one forward pass, to watch
 * the answer form layer by layer. The graph is buildLogitLensGraph's
 * (packages/graph/src/examples), the same as the gallery's.
 *
 *   npx tsx examples/logit-lens.ts [--remote]
 */
import {
  buildLogitLensGraph,
  defineScript,
  runIfMain,
  type Tensor,
} from "@loupe/sdk";
import {
  MODEL_FILES,
  nextToken,
  openBundledModel,
  show,
} from "./bundled-model.ts";

const PROMPT = "The Eiffel Tower is located in the city of";

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const { transformer, lm_head } = lm;

  const { saves } = await lm.run(
    buildLogitLensGraph(lm.graphs, {
      prompt: PROMPT,
      layers: transformer.h,
      norm: transformer.ln_f,
      head: lm_head,
    }),
    trace,
  );

  log(`logit lens on "${PROMPT}" (top token after each layer)`);
  const lens: Record<string, Tensor> = {};
  transformer.h.forEach((_, i) => {
    const logits = saves[`layer${i}`]!;
    log(`  layer ${i}: ${show(nextToken(logits, tokenizer))}`);
    lens[`layer${i}`] = logits;
  });
  return lens;
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
