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
 * The graph is buildActivationPatchingGraph's (packages/graph/src/examples).
 *
 *   npx tsx examples/04-activation-patching.ts [--remote]
 */
import {
  buildActivationPatchingGraph,
  buildForwardGraph,
  defineScript,
  runIfMain,
} from "@loupe/sdk";
import {
  MODEL_FILES,
  nextToken,
  openBundledModel,
  show,
} from "./bundled-model.ts";

// The subject's token in each prompt (" Colosseum", " Louvre"), 0-based.
const EDIT = { prompt: "The Colosseum is located in the city of", position: 1 };
const BASE = { prompt: "The Louvre is located in the city of", position: 1 };

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const layer = lm.transformer.h[2];

  const before = await lm.run(
    buildForwardGraph(lm.graphs, { prompt: BASE.prompt }),
    trace,
  );
  const patched = await lm.run(
    buildActivationPatchingGraph(lm.graphs, { layer, from: EDIT, into: BASE }),
    trace,
  );

  log(`activation patching at ${layer.path}, token ${BASE.position}`);
  log(`  "${EDIT.prompt}" -> "${BASE.prompt}"`);
  log(`  before: ${show(nextToken(before.get("logits"), tokenizer))}`);
  log(`  after:  ${show(nextToken(patched.get("logits"), tokenizer))}`);
  return { before: before.get("logits"), after: patched.get("logits") };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
